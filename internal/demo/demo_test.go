package demo

import (
	"os"
	"path/filepath"
	"testing"
)

// The demo never writes over someone's files: --keep names a new or
// empty directory.
func TestFilesDirRefusesANonEmptyDirectory(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "mine.csv"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if dir, err := filesDir(full); err == nil {
		t.Fatalf("filesDir(non-empty) = %s, want an error", dir)
	}
	fresh := filepath.Join(t.TempDir(), "new")
	if dir, err := filesDir(fresh); err != nil || dir != fresh {
		t.Fatalf("filesDir(new) = %s, %v", dir, err)
	}
}
