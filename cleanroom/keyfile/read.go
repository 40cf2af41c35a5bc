package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxFileSize bounds what ReadFile accepts; secret files are a few KiB.
const MaxFileSize = 1 << 20

var (
	// ErrInsecurePermissions is wrapped by *PermissionError.
	ErrInsecurePermissions = errors.New("keyfile: insecure file permissions")
	// ErrMalformed reports a secret file that is not in the expected format.
	ErrMalformed = errors.New("keyfile: malformed file")
)

// PermissionError reports a secret file that group or others may access.
type PermissionError struct {
	Path string
	Perm fs.FileMode
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("keyfile: %s has permissions %04o; a secret file must be 0600 or stricter (chmod 600 %s)",
		e.Path, uint32(e.Perm), e.Path)
}

func (e *PermissionError) Unwrap() error { return ErrInsecurePermissions }

// ReadFile reads a secret file after checking, on the open file itself (so
// the check and the read see the same inode), that it is a regular file of
// at most MaxFileSize bytes that only its owner may access. A missing file
// gives an error wrapping fs.ErrNotExist.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrMalformed, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, &PermissionError{Path: path, Perm: perm}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keyfile: read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrMalformed, path, MaxFileSize)
	}
	return data, nil
}
