// Package spill scatters fixed-size records into numbered buckets on local
// scratch disk and reads each bucket back whole: the external-memory step
// that lets the clean room's relay and join handle sets larger than its
// memory, one bucket at a time (cleanroom/session, protocol/shuffle's
// Bucketed), and the party tool sort what it would otherwise hold per row
// (partner/flow: the duplicate search, the upload order, the activation
// rows). It imports only std: a leaf both sides may use (imports_test.go).
//
// The files live in a private directory (mode 0700), named
// blindjoin-spill-*, made under the configured scratch directory and
// deleted by Remove. It holds what the process was working on (blinded
// elements, join digests, attribute bits, the media partner's activated
// record indexes), no more than the blob store does, and can be large
// (about 70 bytes per identifier of both sets during the clean room's
// join), so a process that dies without Remove (SIGKILL, the OOM killer, a
// crash) must not leave it behind for good. Each directory therefore holds
// a lock file, owner.lock, which the process that made it keeps locked
// (flock) until Remove; the kernel drops the lock when the process dies,
// however it dies. Create sweeps its scratch directory now and then
// (Sweep): a directory whose lock it can take has no live owner and is
// removed, whichever process made it, so several processes (serve and
// worker, replicas on one host) may share one scratch directory. Where
// the platform has no flock (sweep_other.go) nothing is locked and
// nothing is swept.
//
// MakeDir makes such a locked directory, under another prefix, for a
// caller that writes its own files in it: the party tool's scratch
// directory (.blindjoin-scratch-*, partner/flow), which holds identifier
// digests and is swept the same way, by MakeDir in the same parent
// (SweepPrefix), so that a killed run's is removed by the next run.
//
// Records are written through one buffer per bucket, sized so that all
// the buffers together stay near what the caller gives Create, whatever
// the bucket count.
package spill

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// ErrRecord is returned for a record of the wrong size or a bucket out of
// range: a bug in the caller, reported rather than written.
var ErrRecord = errors.New("spill: record does not fit the spill's layout")

// readBuffer is the buffer Each reads a bucket through.
const readBuffer = 256 << 10

// dirPrefix begins the name of every spill directory: the only entries
// of a scratch directory that Sweep looks at.
const dirPrefix = "blindjoin-spill-"

// Writer scatters records into buckets.
type Writer struct {
	owned
	size   int
	files  []*os.File
	bufs   []*bufio.Writer
	counts []uint64
}

// Create makes the spill directory under parent (os.TempDir() if empty)
// and one empty file per bucket, written through buffers bytes of write
// buffers in all (each bucket gets 4 KiB at least and 1 MiB at most).
// It first sweeps parent of dead processes' spills, if this process has
// not done so lately (sweepIfDue).
func Create(parent string, buckets, recordSize, buffers int) (*Writer, error) {
	if buckets < 1 || recordSize < 1 {
		return nil, fmt.Errorf("%w: %d buckets of %d-byte records", ErrRecord, buckets, recordSize)
	}
	o, err := makeOwned(parent, dirPrefix)
	if err != nil {
		return nil, err
	}
	w := &Writer{owned: o, size: recordSize, counts: make([]uint64, buckets)}
	bufSize := min(max(buffers/buckets, 4<<10), 1<<20)
	for k := range buckets {
		f, err := os.OpenFile(w.path(k), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			w.closeFiles()
			w.remove()
			return nil, fmt.Errorf("spill: %w", err)
		}
		w.files = append(w.files, f)
		w.bufs = append(w.bufs, bufio.NewWriterSize(f, bufSize))
	}
	return w, nil
}

func (w *Writer) path(k int) string { return filepath.Join(w.dir, strconv.Itoa(k)) }

// Add appends rec to bucket k.
func (w *Writer) Add(k int, rec []byte) error {
	if len(rec) != w.size || k < 0 || k >= len(w.bufs) {
		return fmt.Errorf("%w: %d bytes for bucket %d", ErrRecord, len(rec), k)
	}
	if _, err := w.bufs[k].Write(rec); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	w.counts[k]++
	return nil
}

// Finish flushes and closes the bucket files and returns them for
// reading. After an error the spill is removed.
func (w *Writer) Finish() (*Buckets, error) {
	var err error
	for _, b := range w.bufs {
		if err == nil {
			err = b.Flush()
		}
	}
	if cerr := w.closeFiles(); err == nil {
		err = cerr
	}
	if err != nil {
		w.remove()
		return nil, fmt.Errorf("spill: %w", err)
	}
	return &Buckets{owned: w.owned, size: w.size, counts: w.counts}, nil
}

// Abandon deletes a spill that will not be finished.
func (w *Writer) Abandon() {
	w.closeFiles()
	w.remove()
}

func (w *Writer) closeFiles() error {
	var errs []error
	for _, f := range w.files {
		errs = append(errs, f.Close())
	}
	w.files = nil
	return errors.Join(errs...)
}

// Buckets are the finished bucket files.
type Buckets struct {
	owned
	size   int
	counts []uint64
}

// Count returns the number of buckets.
func (b *Buckets) Count() int { return len(b.counts) }

// Len returns the records of bucket k.
func (b *Buckets) Len(k int) uint64 { return b.counts[k] }

// Largest returns the records of the largest bucket: what one buffer
// must hold to read any of them.
func (b *Buckets) Largest() uint64 {
	var n uint64
	for _, c := range b.counts {
		n = max(n, c)
	}
	return n
}

// Total returns the records of all buckets.
func (b *Buckets) Total() uint64 {
	var n uint64
	for _, c := range b.counts {
		n += c
	}
	return n
}

// Read returns bucket k's records, concatenated in the order they were
// added, in dst's storage if it is large enough.
func (b *Buckets) Read(k int, dst []byte) ([]byte, error) {
	n := int(b.counts[k]) * b.size
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	f, err := os.Open(filepath.Join(b.dir, strconv.Itoa(k)))
	if err != nil {
		return nil, fmt.Errorf("spill: %w", err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, dst); err != nil {
		return nil, fmt.Errorf("spill: bucket %d: %w", k, err)
	}
	return dst, nil
}

// Each streams bucket k's records to fn, in the order they were added,
// through a small buffer: for a bucket too large to read whole. rec is
// valid during the call only; an error from fn stops the stream and is
// returned as it is.
func (b *Buckets) Each(k int, fn func(rec []byte) error) error {
	f, err := os.Open(filepath.Join(b.dir, strconv.Itoa(k)))
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	defer f.Close()
	rd := bufio.NewReaderSize(f, readBuffer)
	rec := make([]byte, b.size)
	for range b.counts[k] {
		if _, err := io.ReadFull(rd, rec); err != nil {
			return fmt.Errorf("spill: bucket %d: %w", k, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return nil
}

// Remove deletes the spill's files.
func (b *Buckets) Remove() error {
	return b.remove()
}
