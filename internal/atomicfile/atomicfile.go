// Package atomicfile writes files so that a crash leaves either the old
// content or the new one in full, never part of either, and so that a
// completed write survives a power loss. It is the one implementation of
// that pattern for the clean room's secret files (cleanroom/keyfile), its
// part files (cleanroom/session) and the partner's key store
// (partner/keystore); it imports only the standard library, which is why
// both cleanroom and partner may use it.
//
// Every write goes the same way: the data goes to a new temporary file in
// the target's directory (created with O_EXCL, mode 0600 until the final
// mode is set, its name starting with TempPrefix), is fsynced, and only then
// takes its final name; then the directory is fsynced, so that the name
// itself is durable. The final name comes by rename to replace a file, or by
// hard link to create one exclusively: unlike rename, link fails when the
// target exists, which gives O_EXCL semantics without a window in which a
// reader could see a partly written file.
//
// Why not github.com/google/renameio/v2: it makes the replacement atomic
// but not durable (it does not fsync the directory, so the rename can be
// lost in a crash after the call returned), and it has neither an exclusive
// create nor a file whose final name is chosen after its content is
// written, which the part files need (their name holds their digest).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// TempPrefix starts the name of every temporary file this package creates.
// A file so named is a write that never completed (the process died
// before Commit or Abort) and may be deleted by whoever owns the directory.
const TempPrefix = ".tmp-"

// WriteFile replaces path with data, mode perm.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, false)
}

// CreateExclusive creates path with data, mode perm, only if path does not
// exist yet; the content is complete before the name appears. The returned
// error wraps fs.ErrExist when path exists, for example because another
// process created it first.
func CreateExclusive(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, true)
}

func write(path string, data []byte, perm fs.FileMode, exclusive bool) error {
	p, err := create(filepath.Dir(path), filepath.Base(path), perm)
	if err != nil {
		return err
	}
	if _, err := p.Write(data); err != nil {
		p.Abort()
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	return p.commit(path, exclusive)
}

// Pending is a file being written that has no final name yet. Write to it,
// then Commit it under its final name, or Abort it. Abort after Commit does
// nothing, so `defer p.Abort()` cleans up every early return.
type Pending struct {
	f    *os.File
	done bool
}

// Create starts a file in dir, mode perm, whose final name is given only
// to Commit. Streamed content and names chosen from it (such as a digest)
// are what it is for.
func Create(dir string, perm fs.FileMode) (*Pending, error) {
	return create(dir, "", perm)
}

// create starts a temporary file in dir whose name holds hint (the final
// name, if known), for whoever finds it after a crash.
func create(dir, hint string, perm fs.FileMode) (*Pending, error) {
	pattern := TempPrefix + "*"
	if hint != "" {
		pattern = TempPrefix + hint + "-*"
	}
	// CreateTemp opens with O_EXCL and mode 0600, so nobody else can read
	// the content even before the Chmod below.
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: create temporary file in %s: %w", dir, err)
	}
	p := &Pending{f: f}
	if err := f.Chmod(perm); err != nil {
		p.Abort()
		return nil, fmt.Errorf("atomicfile: set mode of %s: %w", f.Name(), err)
	}
	return p, nil
}

// Write appends b to the file.
func (p *Pending) Write(b []byte) (int, error) {
	return p.f.Write(b)
}

// Commit syncs and closes the file and gives it the name path, replacing
// any file there, then syncs the directory. path must be in the directory
// given to Create, so that the rename stays within one file system. On
// failure the temporary file is removed and path is left as it was.
func (p *Pending) Commit(path string) error {
	return p.commit(path, false)
}

// commit is Commit; with exclusive it links instead of renaming, so that
// an existing path is an error wrapping fs.ErrExist.
func (p *Pending) commit(path string, exclusive bool) error {
	if p.done {
		return errors.New("atomicfile: commit after commit or abort")
	}
	p.done = true
	tmp := p.f.Name()
	err := p.f.Sync()
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if exclusive {
		err = os.Link(tmp, path)
		os.Remove(tmp) // the content lives on under path, or nowhere
		if err != nil {
			return fmt.Errorf("atomicfile: create %s: %w", path, err)
		}
	} else if err = os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: replace %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// Abort closes and removes the file. It does nothing after Commit or a
// previous Abort.
func (p *Pending) Abort() {
	if p.done {
		return
	}
	p.done = true
	p.f.Close()
	os.Remove(p.f.Name())
}

// SyncDir makes the creations, renames and removals in dir durable. On
// Windows, which cannot fsync a directory, it does nothing.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("atomicfile: sync directory %s: %w", dir, err)
	}
	return nil
}
