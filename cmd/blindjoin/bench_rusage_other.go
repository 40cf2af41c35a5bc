//go:build !unix

package main

import "os"

// benchUsageOf is unavailable off Unix: the report shows zeros.
func benchUsageOf(*os.ProcessState) benchUsage { return benchUsage{} }

func benchTerminate(p *os.Process) error { return p.Kill() }
