package atomicfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// wantOnly fails unless dir holds exactly the names given.
func wantOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	if got := entries(t, dir); strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("directory holds %q, want %q", got, names)
	}
}

func wantFile(t *testing.T, path, content string, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != content {
		t.Fatalf("%s: content %q, %v; want %q", path, got, err, content)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != perm {
		t.Fatalf("%s: mode %04o, want %04o", path, fi.Mode().Perm(), perm)
	}
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ring.json")
	if err := WriteFile(path, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "one", 0o600)
	if err := WriteFile(path, []byte("two"), 0o400); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "two", 0o400)
	wantOnly(t, dir, "ring.json")
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	// The target is a non-empty directory, so the final rename fails after
	// the temporary file was written.
	path := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(path, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("x"), 0o600)
	if err == nil || !strings.HasPrefix(err.Error(), "atomicfile: replace "+path) {
		t.Fatalf("replacing a directory: %v", err)
	}
	wantOnly(t, dir, "target")
}

func TestCreateExclusiveDoesNotClobber(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := CreateExclusive(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "first", 0o600)
	if err := CreateExclusive(path, []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create: err = %v, want fs.ErrExist", err)
	}
	wantFile(t, path, "first", 0o600)
	wantOnly(t, dir, "key")
}

// TestUnwritableDirectory: a directory that is missing or that the process
// may not write to fails before anything is written, naming the directory.
func TestUnwritableDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	for name, write := range map[string]func(path string) error{
		"WriteFile":       func(path string) error { return WriteFile(path, []byte("x"), 0o600) },
		"CreateExclusive": func(path string) error { return CreateExclusive(path, []byte("x"), 0o600) },
		"Create": func(path string) error {
			_, err := Create(filepath.Dir(path), 0o600)
			return err
		},
	} {
		err := write(filepath.Join(missing, "f"))
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "atomicfile: create temporary file in "+missing) {
			t.Errorf("%s in a missing directory: %v", name, err)
		}
	}

	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("mode bits do not stop this user from writing")
	}
	readOnly := t.TempDir()
	if err := os.Chmod(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(readOnly, 0o700) })
	if err := WriteFile(filepath.Join(readOnly, "f"), []byte("x"), 0o600); !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("WriteFile in a read-only directory: %v", err)
	}
	wantOnly(t, readOnly)
}

// TestCreateNamesAfterWriting streams a file whose final name is chosen
// only after its content is written, as the part files are.
func TestCreateNamesAfterWriting(t *testing.T) {
	dir := t.TempDir()
	p, err := Create(dir, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort()
	if _, err := p.Write([]byte("streamed ")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("content")); err != nil {
		t.Fatal(err)
	}
	// Until Commit, the content exists only under a temporary name.
	names := entries(t, dir)
	if len(names) != 1 || !strings.HasPrefix(names[0], TempPrefix) {
		t.Fatalf("while writing, the directory holds %q, want one %s file", names, TempPrefix)
	}
	path := filepath.Join(dir, "chosen-later")
	if err := p.Commit(path); err != nil {
		t.Fatal(err)
	}
	p.Abort() // after Commit: does nothing
	wantFile(t, path, "streamed content", 0o640)
	wantOnly(t, dir, "chosen-later")
	if err := p.Commit(filepath.Join(dir, "again")); err == nil {
		t.Fatal("a second Commit succeeded")
	}
	wantOnly(t, dir, "chosen-later")
}

func TestCommitReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Create(dir, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("new"))
	if err := p.Commit(path); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "new", 0o600)
	wantOnly(t, dir, "f")
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p, err := Create(dir, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write(bytes.Repeat([]byte("x"), 1<<16)); err != nil {
		t.Fatal(err)
	}
	p.Abort()
	p.Abort() // twice: does nothing
	wantOnly(t, dir)
	if err := p.Commit(filepath.Join(dir, "f")); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	wantOnly(t, dir)
}

// TestFailedCommitLeavesNothing: a Commit whose rename fails removes the
// temporary file and leaves the target as it was.
func TestFailedCommitLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(target, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	p, err := Create(dir, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("x"))
	if err := p.Commit(target); err == nil {
		t.Fatal("committing over a non-empty directory succeeded")
	}
	wantOnly(t, dir, "target")
	wantOnly(t, target, "child")
}

func TestSyncDir(t *testing.T) {
	if err := SyncDir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	if err := SyncDir(missing); runtime.GOOS != "windows" && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("SyncDir of a missing directory: %v", err)
	}
}
