package flow

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

// atomicFile is an output file that appears under its name only once it
// is complete (internal/atomicfile): a run interrupted half-way never
// leaves a truncated report that looks finished.
type atomicFile struct {
	*bufio.Writer
	p    *atomicfile.Pending
	path string
}

// newAtomicFile starts writing dir/name. Outputs hold row numbers tied to
// the party's users, so the directory is created 0700 and files are 0600.
func newAtomicFile(dir, name string) (*atomicFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("flow: output directory: %w", err)
	}
	p, err := atomicfile.Create(dir, 0o600)
	if err != nil {
		return nil, fmt.Errorf("flow: %s: %w", name, err)
	}
	return &atomicFile{Writer: bufio.NewWriterSize(p, 64<<10), p: p, path: filepath.Join(dir, name)}, nil
}

// commit flushes the buffer and puts the file in place, durably.
func (a *atomicFile) commit() error {
	err := a.Flush()
	if err == nil {
		err = a.p.Commit(a.path)
	}
	if err != nil {
		a.p.Abort()
		return fmt.Errorf("flow: %s: %w", filepath.Base(a.path), err)
	}
	return nil
}

// abort removes the temporary file unless commit succeeded; deferred
// after newAtomicFile.
func (a *atomicFile) abort() { a.p.Abort() }
