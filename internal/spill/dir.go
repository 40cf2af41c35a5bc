package spill

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrPrefix is returned for a directory prefix that is empty or not a
// plain name: a bug in the caller. The prefix is all a sweep goes by, so
// an empty one would have it judge every directory of parent.
var ErrPrefix = errors.New("spill: a directory prefix must be a non-empty name without a path separator or '*'")

func checkPrefix(prefix string) error {
	if prefix == "" || strings.ContainsAny(prefix, "*/"+string(os.PathSeparator)) {
		return fmt.Errorf("%w: %q", ErrPrefix, prefix)
	}
	return nil
}

// owned is a directory this process made and the open lock file that
// marks it as this process's while it exists (nil where files cannot be
// locked).
type owned struct {
	dir  string
	lock *os.File
}

// makeOwned makes under parent (os.TempDir() if empty) a private
// directory (mode 0700) named prefix and random characters, locked by
// this process (lockDir). It first sweeps parent of dead processes'
// directories of that prefix, if this process has not done so lately
// (sweepIfDue).
func makeOwned(parent, prefix string) (owned, error) {
	if err := checkPrefix(prefix); err != nil {
		return owned{}, err
	}
	sweepIfDue(parent, prefix)
	dir, err := os.MkdirTemp(parent, prefix+"*")
	if err != nil {
		return owned{}, fmt.Errorf("spill: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		os.RemoveAll(dir)
		return owned{}, fmt.Errorf("spill: %w", err)
	}
	return owned{dir, lock}, nil
}

// remove deletes the directory, then gives up its lock, and tries once
// more if the directory outlived the first attempt: on NFS the open lock
// file is renamed (.nfsXXXX) instead of deleted until it is closed, which
// keeps the directory, and a directory with no lock file would wait a day
// for the sweep. Whatever still fails is left to the next sweep.
func (o owned) remove() error {
	err := os.RemoveAll(o.dir)
	if o.lock != nil {
		o.lock.Close()
	}
	if err != nil {
		err = os.RemoveAll(o.dir)
	}
	return err
}

// Dir is a private directory that this process holds as a spill's, for
// files the caller writes itself (the party tool's scratch directory):
// locked while the process lives, swept by SweepPrefix, and by MakeDir
// in the same parent, once it is dead.
type Dir struct{ owned }

// MakeDir makes a Dir under parent (os.TempDir() if empty), named prefix
// and random characters, after sweeping parent of dead processes'
// directories of that prefix if this process has not done so in the
// last sweepEvery. The prefix is what the sweep goes by: it must be one
// that only these directories use.
func MakeDir(parent, prefix string) (*Dir, error) {
	o, err := makeOwned(parent, prefix)
	if err != nil {
		return nil, err
	}
	return &Dir{o}, nil
}

// Path is the directory's path.
func (d *Dir) Path() string { return d.dir }

// Remove deletes the directory and everything in it.
func (d *Dir) Remove() error { return d.remove() }
