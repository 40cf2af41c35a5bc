package keystore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
	"github.com/blindjoin/blindjoin/protocol/blind"
)

// File name suffixes.
const (
	keySuffix   = ".key"
	stateSuffix = ".state"
)

// Modes of what the store creates.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// maxState bounds a state file.
const maxState = 1 << 20

var (
	// ErrSessionID is returned for a session id that cannot be a file name:
	// ids are 1 to 128 ASCII letters, digits, '-' and '_'.
	ErrSessionID = errors.New("keystore: invalid session id")
	// ErrNoKey is returned by Load when the session has no key here.
	ErrNoKey = errors.New("keystore: no key for this session")
	// ErrCorrupt is returned for a key or state file that cannot be read
	// back as written.
	ErrCorrupt = errors.New("keystore: corrupt file")
	// ErrInsecure is wrapped by *PermissionError.
	ErrInsecure = errors.New("keystore: insecure permissions")
)

// PermissionError reports a key-store file or directory that others may
// access (or that is not a regular file or directory).
type PermissionError struct {
	Path string
	Mode fs.FileMode
	Want string
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("keystore: %s has mode %v; %s", e.Path, e.Mode, e.Want)
}

func (e *PermissionError) Unwrap() error { return ErrInsecure }

// Dir returns the default directory of the sessions of the clean room at
// host ("host" or "host:port"): os.UserConfigDir()/blindjoin/sessions/host,
// with every character other than letters, digits, '.' and '-' replaced by
// '_' (so "[::1]:8080" becomes "___1__8080").
func Dir(host string) (string, error) {
	if host == "" {
		return "", errors.New("keystore: empty server host")
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("keystore: %w", err)
	}
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, host)
	if strings.Trim(safe, ".") == "" {
		return "", errors.New("keystore: unusable server host")
	}
	return filepath.Join(base, "blindjoin", "sessions", safe), nil
}

// validID accepts ids that are safe as a file name on every system.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// paths returns the key and state paths of a session.
func paths(dir, sessionID string) (key, state string, err error) {
	if !validID(sessionID) {
		return "", "", ErrSessionID
	}
	return filepath.Join(dir, sessionID+keySuffix), filepath.Join(dir, sessionID+stateSuffix), nil
}

// LoadOrCreate returns the key of sessionID in dir, creating it from rand
// (crypto/rand.Reader in production) if there is none; created says which.
// The directory is created 0700 if missing.
func LoadOrCreate(dir, sessionID string, rand io.Reader) (key *blind.Key, created bool, err error) {
	path, _, err := paths(dir, sessionID)
	if err != nil {
		return nil, false, err
	}
	if err := ensureDir(dir); err != nil {
		return nil, false, err
	}
	k, err := readKey(path)
	if !errors.Is(err, ErrNoKey) {
		return k, false, err
	}
	k, err = blind.GenerateKey(rand)
	if err != nil {
		return nil, false, fmt.Errorf("keystore: %w", err)
	}
	err = atomicfile.CreateExclusive(path, k.Bytes(), fileMode)
	if errors.Is(err, fs.ErrExist) {
		// Another process created the key first: use that one.
		k, err = readKey(path)
		return k, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("keystore: %w", err)
	}
	return k, true, nil
}

// Load returns the key of sessionID, or ErrNoKey.
func Load(dir, sessionID string) (*blind.Key, error) {
	path, _, err := paths(dir, sessionID)
	if err != nil {
		return nil, err
	}
	if err := checkDir(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNoKey
		}
		return nil, err
	}
	return readKey(path)
}

// Delete removes the key and state of sessionID. Files that do not exist
// are not an error.
func Delete(dir, sessionID string) error {
	key, state, err := paths(dir, sessionID)
	if err != nil {
		return err
	}
	for _, p := range []string{state, key} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("keystore: %w", err)
		}
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	return nil
}

// WriteState replaces the resume state of sessionID, atomically.
func WriteState(dir, sessionID string, data []byte) error {
	_, path, err := paths(dir, sessionID)
	if err != nil {
		return err
	}
	if len(data) > maxState {
		return fmt.Errorf("keystore: state of %d bytes exceeds %d", len(data), maxState)
	}
	if err := ensureDir(dir); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, fileMode); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	return nil
}

// ReadState returns the resume state of sessionID; an error wrapping
// fs.ErrNotExist means there is none.
func ReadState(dir, sessionID string) ([]byte, error) {
	_, path, err := paths(dir, sessionID)
	if err != nil {
		return nil, err
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	return readSecret(path, maxState)
}

func readKey(path string) (*blind.Key, error) {
	b, err := readSecret(path, 64)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoKey
	}
	if err != nil {
		return nil, err
	}
	k, err := blind.ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	return k, nil
}

// readSecret reads a file of at most limit bytes after checking that it
// is a private regular file.
func readSecret(path string, limit int64) ([]byte, error) {
	// Lstat first: a symbolic link could point at a file of someone
	// else's, and opening it would follow the link.
	li, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if !li.Mode().IsRegular() {
		return nil, &PermissionError{Path: path, Mode: li.Mode(), Want: "want a regular file"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	defer f.Close()
	// Checked again on the open file, so the check and the read see the
	// same file even if the name was swapped in between.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if !os.SameFile(li, fi) {
		return nil, &PermissionError{Path: path, Mode: fi.Mode(), Want: "the file changed while it was opened"}
	}
	if checkPerms && fi.Mode().Perm()&0o077 != 0 {
		return nil, &PermissionError{Path: path, Mode: fi.Mode(), Want: "want 0600 (run chmod 600 on it if it is yours)"}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: %s is too large", ErrCorrupt, path)
	}
	return b, nil
}

// checkPerms is false where mode bits do not describe access.
var checkPerms = runtime.GOOS != "windows"

// ensureDir creates dir 0700 if needed and checks it.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	return checkDir(dir)
}

// checkDir refuses a directory that group or others may write to.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if !fi.IsDir() {
		return &PermissionError{Path: dir, Mode: fi.Mode(), Want: "want a directory"}
	}
	if checkPerms && fi.Mode().Perm()&0o022 != 0 {
		return &PermissionError{Path: dir, Mode: fi.Mode(), Want: "others may replace files in it; want 0700"}
	}
	return nil
}
