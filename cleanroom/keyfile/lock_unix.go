//go:build unix

package keyfile

import (
	"fmt"
	"os"
	"syscall"
)

// Lock takes an exclusive advisory lock (flock) on path, creating the file
// with mode 0600 if needed, and blocks until it gets it. Processes that
// read-modify-write a shared secret file (such as the token-signing keyring
// rotated by the CLI while the server runs) hold it around the whole update
// so that no update is lost. The lock goes away with the process, so a
// crash cannot leave it stale.
func Lock(path string) (unlock func() error, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("keyfile: lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("keyfile: lock %s: %w", path, err)
	}
	// Closing the descriptor releases the flock.
	return f.Close, nil
}
