package flow

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// atomicFile is an output file that appears under its name only once it
// is complete: a run interrupted half-way never leaves a truncated report
// that looks finished.
type atomicFile struct {
	*bufio.Writer
	f    *os.File
	path string
	done bool
}

// newAtomicFile starts writing dir/name. Outputs hold row numbers tied to
// the party's users, so the directory is created 0700 and files are 0600.
func newAtomicFile(dir, name string) (*atomicFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("flow: output directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("flow: %s: %w", name, err)
	}
	return &atomicFile{Writer: bufio.NewWriterSize(f, 64<<10), f: f, path: filepath.Join(dir, name)}, nil
}

// commit flushes, syncs and renames the file into place.
func (a *atomicFile) commit() error {
	err := a.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return fmt.Errorf("flow: %s: %w", filepath.Base(a.path), err)
	}
	a.done = true
	return nil
}

// abort removes the temporary file unless commit succeeded; deferred
// after newAtomicFile.
func (a *atomicFile) abort() {
	if !a.done {
		a.f.Close()
		os.Remove(a.f.Name())
	}
}
