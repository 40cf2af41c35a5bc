//go:build !unix

package main

import (
	"os"
	"time"
)

// benchUsageOf is unavailable off Unix: the report shows zeros.
func benchUsageOf(*os.ProcessState) benchUsage { return benchUsage{} }

func benchSelfCPU() time.Duration { return 0 }

func benchTerminate(p *os.Process) error { return p.Kill() }
