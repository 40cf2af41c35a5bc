//go:build !unix || aix || solaris

package spill

import "os"

// lockDir locks nothing: syscall has no flock on this platform.
func lockDir(string) (*os.File, error) { return nil, nil }

// Sweep removes nothing on this platform: without a lock, it cannot tell
// a dead process's spill directory from a live one's, so a process that
// dies without Remove leaves its blindjoin-spill-* directory behind, to
// delete by hand once no process uses the scratch directory.
func Sweep(parent string) (removed int, err error) { return 0, nil }
