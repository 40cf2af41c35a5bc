package flow

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"

	"github.com/blindjoin/blindjoin/internal/spill"
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
// error. It is internal/spill's Dir, locked by this process while it
// lives: a run killed outright (SIGKILL, the OOM killer) cannot remove
// its own, so the next run that makes one in the same directory does
// (spill.MakeDir sweeps it), and never a live run's, which may share
// the directory (the workers of a plan do).
type scratch struct{ *spill.Dir }

func newScratch(parent string) (*scratch, error) {
	if parent != "" {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return nil, fmt.Errorf("flow: output directory: %w", err)
		}
	}
	dir, err := spill.MakeDir(parent, scratchPrefix)
	if err != nil {
		return nil, fmt.Errorf("flow: scratch directory: %w", err)
	}
	return &scratch{dir}, nil
}

// create creates a new file of the scratch directory, readable and
// writable by this user alone.
func (s *scratch) create(name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(s.Path(), name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("flow: scratch file: %w", err)
	}
	return f, nil
}

// remove deletes the directory and everything in it; nil is a no-op, so
// that it can be deferred before the scratch exists.
func (s *scratch) remove() {
	if s != nil {
		s.Remove()
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

// records is the attribute bits and identifier digests of the kept rows
// in a scratch file: written once, in kept-row order while the input is
// read, then in upload order (audience.order), which each part reads
// front to back from its first position. Not mapped into memory: mapped
// pages would count in the process's memory. A record is laid out as in
// a bucket file (planfiles.go): (multi-key only) the keys present, the
// bits (8 bytes, big-endian) and one 32-byte digest per key present.
type records struct {
	file   *spillFile
	keyed  bool  // multi-key: records begin with their keys
	n      int   // records appended
	size   int64 // bytes appended
	idents int64 // identifiers appended
	// marks places every markEvery-th record: where a part starts.
	marks []recordMark
	buf   [maxRecordSize]byte // the record being appended
}

// recordMark is where a record starts, and how many identifiers the
// records before it carry.
type recordMark struct{ offset, idents int64 }

// markEvery is the records between two marks: finding a record reads at
// most that many records past a mark.
const markEvery = 1024

// maxRecordSize is the size of a record that carries every key.
const maxRecordSize = 1 + 8 + policy.MaxMatchKeys*32

func newRecords(s *scratch, name string, keyed bool) (*records, error) {
	f, err := s.spill(name)
	if err != nil {
		return nil, err
	}
	return &records{file: f, keyed: keyed}, nil
}

// append adds a record: keys (multi-key only), bits, digests.
func (r *records) append(keys uint8, bits uint64, digests ...[32]byte) {
	n := 0
	if r.keyed {
		r.buf[0], n = keys, 1
	}
	binary.BigEndian.PutUint64(r.buf[n:], bits)
	n += 8
	for _, d := range digests {
		n += copy(r.buf[n:], d[:])
	}
	r.appendRaw(r.buf[:n])
}

// appendRaw adds an encoded record.
func (r *records) appendRaw(rec []byte) {
	if r.n%markEvery == 0 {
		r.marks = append(r.marks, recordMark{offset: r.size, idents: r.idents})
	}
	r.file.w.Write(rec)
	r.n++
	r.size += int64(len(rec))
	r.idents += int64(r.identsOf(rec[0]))
}

// identsOf is the number of identifiers of a record that begins with b.
func (r *records) identsOf(b byte) int {
	if !r.keyed {
		return 1
	}
	return bits.OnesCount8(b)
}

// finish ends the writing: the records become readable.
func (r *records) finish() error {
	if r.n%markEvery == 0 {
		r.marks = append(r.marks, recordMark{offset: r.size, idents: r.idents})
	}
	if err := r.file.w.Flush(); err != nil {
		return fmt.Errorf("flow: scratch file: %w", err)
	}
	return nil
}

// locate returns where record i starts (i = r.n: the end), and the
// identifiers of the records before it.
func (r *records) locate(i int) (recordMark, error) {
	m := r.marks[i/markEvery]
	if i%markEvery == 0 {
		return m, nil
	}
	rd := r.readerAt(m)
	for range i % markEvery {
		rec, err := rd.next()
		if err != nil {
			return m, err
		}
		m.offset += int64(len(rec))
		m.idents += int64(r.identsOf(rec[0]))
	}
	return m, nil
}

// reader reads the records from record i on.
func (r *records) reader(i int) (*recordReader, error) {
	m, err := r.locate(i)
	if err != nil {
		return nil, err
	}
	return r.readerAt(m), nil
}

func (r *records) readerAt(m recordMark) *recordReader {
	sr := io.NewSectionReader(r.file.f, m.offset, r.size-m.offset)
	return &recordReader{br: bufio.NewReaderSize(sr, 64<<10), r: r}
}

// recordReader reads records front to back.
type recordReader struct {
	br  *bufio.Reader
	r   *records
	buf [maxRecordSize]byte
}

// next returns the next record, valid until the next call.
func (rd *recordReader) next() ([]byte, error) {
	n := 8 + 32
	if rd.r.keyed {
		keys, err := rd.br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("flow: reading back a scratch file: %w", err)
		}
		rd.buf[0] = keys
		n = 1 + 8 + 32*bits.OnesCount8(keys)
	}
	start := n - 8 - 32*rd.r.identsOf(rd.buf[0])
	if _, err := io.ReadFull(rd.br, rd.buf[start:n]); err != nil {
		return nil, fmt.Errorf("flow: reading back a scratch file: %w", err)
	}
	return rd.buf[:n], nil
}

// fields splits a record read: its keys (multi-key), bits and digests
// (appended to digests).
func (r *records) fields(rec []byte, digests [][32]byte) (uint8, uint64, [][32]byte) {
	var keys uint8
	if r.keyed {
		keys, rec = rec[0], rec[1:]
	}
	bits := binary.BigEndian.Uint64(rec[:8])
	for rec = rec[8:]; len(rec) > 0; rec = rec[32:] {
		digests = append(digests, [32]byte(rec[:32]))
	}
	return keys, bits, digests
}
