//go:build unix

package keyfile

import (
	"path/filepath"
	"testing"
	"time"
)

func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ring.lock")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	acquired := make(chan func() error)
	go func() {
		// flock locks belong to the open file, so a second open in the same
		// process contends like another process would.
		u, err := Lock(path)
		if err != nil {
			t.Error(err)
		}
		acquired <- u
	}()
	select {
	case <-acquired:
		t.Fatal("second Lock succeeded while the first was held")
	case <-time.After(100 * time.Millisecond):
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-acquired:
		if u != nil {
			u()
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second Lock did not proceed after unlock")
	}
}
