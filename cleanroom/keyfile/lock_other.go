//go:build !unix

package keyfile

import "errors"

var errNoLocking = errors.New("keyfile: file locking is not supported on this platform")

// Lock is only implemented on Unix, where the clean-room service runs.
// Failing here is safer than silently allowing lost keyring updates.
func Lock(path string) (unlock func() error, err error) {
	return nil, errNoLocking
}

// LockOwned is only implemented on Unix; failing here is safer than letting
// two servers share a data directory.
func LockOwned(path string) (unlock func() error, err error) {
	return nil, errNoLocking
}
