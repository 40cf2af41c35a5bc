//go:build !unix

package proc

import "os"

// UsageOf is unavailable off Unix: every figure is zero.
func UsageOf(*os.ProcessState) Usage { return Usage{} }

// Terminate kills p: off Unix there is no graceful signal to send.
func Terminate(p *os.Process) error { return p.Kill() }
