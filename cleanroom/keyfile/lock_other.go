//go:build !unix

package keyfile

import "errors"

// Lock is only implemented on Unix, where the clean-room service runs.
// Failing here is safer than silently allowing lost keyring updates.
func Lock(path string) (unlock func() error, err error) {
	return nil, errors.New("keyfile: file locking is not supported on this platform")
}
