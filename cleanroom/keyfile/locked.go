package keyfile

import (
	"errors"
	"fmt"
)

// ErrLocked reports a lock that another process holds.
var ErrLocked = errors.New("keyfile: locked by another process")

// LockedError is LockOwned's error when another process holds the lock.
// PID is the holder's process ID as it wrote it into the lock file, or 0
// when unknown.
type LockedError struct {
	Path string
	PID  int
}

func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("%s is locked by another process", e.Path)
	}
	return fmt.Sprintf("%s is locked by process %d", e.Path, e.PID)
}

func (e *LockedError) Unwrap() error { return ErrLocked }
