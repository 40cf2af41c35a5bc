package blobs_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/blobs/blobstest"
)

func newDir(t *testing.T) *blobs.Dir {
	t.Helper()
	d, err := blobs.NewDir(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDirContract(t *testing.T) {
	blobstest.Run(t, func(t *testing.T) blobs.Store { return newDir(t) })
}

// TestDirFiles pins the layout on disk that data directories of earlier
// versions already have: a key is a path under the root, files are
// private, a crash's temporary file is listed (so the sweep removes it)
// with its file's mtime as Modified (so the sweep can tell it is old), and
// deleting a directory's last file removes the directory.
func TestDirFiles(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	d, err := blobs.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	blobstest.Put(t, d, "parts/s1/", "parts/s1/a.part", []byte("x"))
	fi, err := os.Stat(filepath.Join(root, "parts", "s1", "a.part"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	crashed := filepath.Join(root, "parts", "s1", blobs.TempMarker+"123")
	if err := os.WriteFile(crashed, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	crashedAt := time.Date(2025, 3, 4, 5, 6, 7, 8000, time.UTC)
	if err := os.Chtimes(crashed, crashedAt, crashedAt); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	objects, err := d.List(ctx, "parts/")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objects {
		keys = append(keys, o.Key)
	}
	if want := []string{"parts/s1/" + blobs.TempMarker + "123", "parts/s1/a.part"}; !reflect.DeepEqual(keys, want) {
		t.Fatalf("List = %q, want %q", keys, want)
	}
	if !objects[0].Modified.Equal(crashedAt) {
		t.Errorf("the temporary file's Modified is %v, want its mtime %v", objects[0].Modified, crashedAt)
	}
	for _, k := range keys {
		if err := d.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "parts")); !os.IsNotExist(err) {
		t.Fatalf("empty directories left behind: %v", err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("the root went too: %v", err)
	}
}
