package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int, perm fs.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, make([]byte, size), perm); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, perm) // WriteFile's mode is filtered by the umask
		return p
	}
	if _, err := ReadFile(write("ok", 10, 0o600)); err != nil {
		t.Errorf("0600: %v", err)
	}
	if _, err := ReadFile(write("max", MaxFileSize, 0o600)); err != nil {
		t.Errorf("MaxFileSize bytes: %v", err)
	}
	if _, err := ReadFile(write("big", MaxFileSize+1, 0o600)); !errors.Is(err, ErrMalformed) {
		t.Errorf("too large: err = %v", err)
	}
	if _, err := ReadFile(write("loose", 10, 0o640)); !errors.Is(err, ErrInsecurePermissions) {
		t.Errorf("0640: err = %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "absent")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: err = %v", err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o700)
	if _, err := ReadFile(sub); !errors.Is(err, ErrMalformed) {
		t.Errorf("directory: err = %v", err)
	}
}
