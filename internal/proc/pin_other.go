//go:build !linux

package proc

import (
	"errors"
	"os/exec"
)

// StartPinned starts cmd; pinning to fewer CPUs (cpus > 0) needs Linux.
func StartPinned(cmd *exec.Cmd, cpus int) error {
	if cpus != 0 {
		return errors.New("--cores needs Linux (sched_setaffinity)")
	}
	return cmd.Start()
}

// PeakRSS is unknown off Linux; the report falls back to ru_maxrss.
func PeakRSS() int64 { return 0 }
