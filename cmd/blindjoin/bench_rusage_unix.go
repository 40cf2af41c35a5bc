//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// benchUsageOf returns the CPU time and peak resident memory of an exited child.
func benchUsageOf(ps *os.ProcessState) benchUsage {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return benchUsage{}
	}
	return benchUsage{
		User:    time.Duration(ru.Utime.Nano()),
		System:  time.Duration(ru.Stime.Nano()),
		PeakRSS: benchMaxRSS(ru.Maxrss),
	}
}

// benchMaxRSS converts ru_maxrss, which Linux reports in KiB and macOS in
// bytes.
func benchMaxRSS(v int64) int64 {
	if runtime.GOOS == "darwin" {
		return v
	}
	return v * 1024
}

// terminate asks a child to shut down gracefully.
func benchTerminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
