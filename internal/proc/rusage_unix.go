//go:build unix

package proc

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// UsageOf returns the CPU time and peak resident memory of an exited child.
func UsageOf(ps *os.ProcessState) Usage {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return Usage{}
	}
	return Usage{
		User:    time.Duration(ru.Utime.Nano()),
		System:  time.Duration(ru.Stime.Nano()),
		PeakRSS: maxRSS(ru.Maxrss),
	}
}

// maxRSS converts ru_maxrss, which Linux reports in KiB and macOS in
// bytes.
func maxRSS(v int64) int64 {
	if runtime.GOOS == "darwin" {
		return v
	}
	return v * 1024
}

// Terminate asks a child to shut down gracefully.
func Terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }
