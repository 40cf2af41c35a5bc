//go:build unix && !aix && !solaris

package spill

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockName is the lock file of a directory made by makeOwned, held
// locked by the process that made the directory for as long as it
// exists.
const lockName = "owner.lock"

// unlockedAge is the age from which a sweep removes a directory that has
// no lock file: one made by a version of blindjoin from before the
// lock, or by a process killed between making the directory and locking
// it (then empty). Such a directory cannot say whether its process is
// alive; a live one exists only while an older binary still runs beside
// a newer one (a rolling upgrade), and a day is far longer than any one
// job of such a binary, so one untouched for that long is an orphan.
const unlockedAge = 24 * time.Hour

// lockDir gives dir its lock file, locked by this process until the file
// is closed or the process ends. The file is locked under another name
// and only then renamed to lockName, so a sweeper never finds the lock
// file of a live directory unlocked: until the rename, the directory has
// none and is new, which Sweep leaves alone.
func lockDir(dir string) (*os.File, error) {
	pending := filepath.Join(dir, "owner.new")
	f, err := os.OpenFile(pending, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s (the scratch directory must support file locks): %w", pending, err)
	}
	if err := os.Rename(pending, filepath.Join(dir, lockName)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// sweep is SweepPrefix, once prefix is checked and parent set.
func sweep(parent, prefix string) (removed int, err error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return 0, fmt.Errorf("spill: sweep: %w", err)
	}
	var errs []error
	for _, e := range entries {
		// A symbolic link is not a directory here: its target, wherever
		// it is, is never swept.
		if !strings.HasPrefix(e.Name(), prefix) || !e.IsDir() {
			continue
		}
		gone, err := sweepDir(filepath.Join(parent, e.Name()))
		if err != nil {
			errs = append(errs, fmt.Errorf("spill: sweep: %w", err))
		}
		if gone {
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// sweepDir removes dir if no live process owns it, and says whether it did.
func sweepDir(dir string) (bool, error) {
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // removed by its owner or another sweeper meanwhile
	}
	if err != nil {
		return false, err
	}
	// Another user's directory is not this process's to judge, and in a
	// shared temporary directory not its to delete either.
	st, ok := info.Sys().(*syscall.Stat_t)
	if !info.IsDir() || !ok || int(st.Uid) != os.Getuid() {
		return false, nil
	}
	lockPath := filepath.Join(dir, lockName)
	lock, err := os.OpenFile(lockPath, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if time.Since(info.ModTime()) < unlockedAge {
			return false, nil
		}
		return removeDir(dir)
	}
	if err != nil {
		return false, err
	}
	defer lock.Close()
	err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil // its owner is alive
	}
	if err != nil {
		return false, fmt.Errorf("locking %s: %w", lockPath, err)
	}
	// Locked: its owner is dead. Unless the file was removed between the
	// open and the lock (by its owner's Remove, or by another sweeper),
	// and the name taken since by a new directory, which this lock says
	// nothing about: then lockPath is no longer the file locked.
	held, err := lock.Stat()
	if err != nil {
		return false, err
	}
	if now, err := os.Lstat(lockPath); err != nil || !os.SameFile(held, now) {
		return false, nil
	}
	return removeDir(dir)
}

func removeDir(dir string) (bool, error) {
	if err := os.RemoveAll(dir); err != nil {
		return false, err
	}
	return true, nil
}
