//go:build unix

package proc

import (
	"syscall"
	"time"
)

// CPU returns the CPU time (user + system) this process has used,
// all goroutines included; 0 if the system does not say.
func CPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
