package flow

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/blindjoin/blindjoin/protocol/policy"
)

// scratchPrefix begins the name of a run's scratch directory, created
// in the output directory (in the system's temporary directory when the
// run has none, as for Preflight).
const scratchPrefix = ".blindjoin-scratch-"

// scratch is the private directory into which a run spills what it would
// otherwise hold per row in memory: identifier digests, which a
// dictionary inverts, so the directory is 0700, its files 0600, and it
// is removed as soon as the upload no longer needs it, and on every
// error.
type scratch struct{ dir string }

func newScratch(parent string) (*scratch, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return nil, fmt.Errorf("flow: output directory: %w", err)
		}
	}
	dir, err := os.MkdirTemp(parent, scratchPrefix) // mode 0700
	if err != nil {
		return nil, fmt.Errorf("flow: scratch directory: %w", err)
	}
	return &scratch{dir: dir}, nil
}

// create creates a new file of the scratch directory, readable and
// writable by this user alone.
func (s *scratch) create(name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(s.dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("flow: scratch file: %w", err)
	}
	return f, nil
}

// remove deletes the directory and everything in it; nil is a no-op, so
// that it can be deferred before the scratch exists.
func (s *scratch) remove() {
	if s != nil {
		os.RemoveAll(s.dir)
	}
}

// spillFile is a scratch file written once, front to back, through a
// buffer, then read back.
type spillFile struct {
	f *os.File
	w *bufio.Writer
}

func (s *scratch) spill(name string) (*spillFile, error) {
	f, err := s.create(name)
	if err != nil {
		return nil, err
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// rewind ends the writing and returns a reader from the file's start.
func (s *spillFile) rewind() (*bufio.Reader, error) {
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("flow: scratch file: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("flow: scratch file: %w", err)
	}
	return bufio.NewReaderSize(s.f, 64<<10), nil
}

func (s *spillFile) close() { s.f.Close() }

// remove closes and deletes the file, which has served.
func (s *spillFile) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// records is the attribute bits and identifier digests of the kept rows,
// in kept-row order, in a scratch file: written once while the input is
// read, then read back record by record (pread) in upload order by the
// parts being blinded, on several goroutines at once. Not mapped into
// memory: mapped pages would count in the process's memory. A record is
// the bits (8 bytes, big-endian) and one 32-byte digest per key the row
// carries (one in a one-key session), as in a bucket file
// (planfiles.go) but for the keys byte, which the audience keeps.
type records struct {
	file *spillFile
	buf  [maxRecordSize]byte // the record being appended
}

func newRecords(s *scratch) (*records, error) {
	f, err := s.spill("records")
	if err != nil {
		return nil, err
	}
	return &records{file: f}, nil
}

// append adds a record: the bits, then the digests.
func (r *records) append(bits uint64, digests ...[32]byte) {
	binary.BigEndian.PutUint64(r.buf[:8], bits)
	n := 8
	for _, d := range digests {
		n += copy(r.buf[n:], d[:])
	}
	r.file.w.Write(r.buf[:n])
}

// finish ends the writing: the records become readable.
func (r *records) finish() error {
	if err := r.file.w.Flush(); err != nil {
		return fmt.Errorf("flow: scratch file: %w", err)
	}
	return nil
}

// maxRecordSize is the size of a record that carries every key.
const maxRecordSize = 8 + policy.MaxMatchKeys*32

// read reads the record at byte offset off that carries len(digests)
// digests into digests, and returns its bits.
func (r *records) read(off int64, digests [][32]byte) (uint64, error) {
	var buf [maxRecordSize]byte
	rec := buf[:8+32*len(digests)]
	if _, err := r.file.f.ReadAt(rec, off); err != nil {
		return 0, fmt.Errorf("flow: reading back a record of the scratch file: %w", err)
	}
	for i := range digests {
		copy(digests[i][:], rec[8+32*i:])
	}
	return binary.BigEndian.Uint64(rec[:8]), nil
}
