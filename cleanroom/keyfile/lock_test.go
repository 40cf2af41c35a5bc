//go:build unix

package keyfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

func TestLockOwnedRefusesSecondHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve.lock")
	unlock, err := LockOwned(path)
	if err != nil {
		t.Fatal(err)
	}
	// A second open in the same process contends like another process.
	_, err = LockOwned(path)
	le, ok := errors.AsType[*LockedError](err)
	if !ok || !errors.Is(err, ErrLocked) {
		t.Fatalf("second LockOwned: %v, want a *LockedError", err)
	}
	if le.PID != os.Getpid() {
		t.Errorf("holder PID %d, want %d", le.PID, os.Getpid())
	}
	if want := fmt.Sprintf("locked by process %d", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, err = LockOwned(path)
	if err != nil {
		t.Fatalf("LockOwned after unlock: %v", err)
	}
	unlock()
}
