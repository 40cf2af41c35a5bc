//go:build !linux

package main

import (
	"errors"
	"os/exec"
)

// benchStartPinned starts cmd; pinning to fewer CPUs (cpus > 0) needs Linux.
func benchStartPinned(cmd *exec.Cmd, cpus int) error {
	if cpus != 0 {
		return errors.New("--cores needs Linux (sched_setaffinity)")
	}
	return cmd.Start()
}

// benchPeakRSS is unknown off Linux; the report falls back to ru_maxrss.
func benchPeakRSS() int64 { return 0 }
