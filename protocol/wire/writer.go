package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

// initialBuffer is the first capacity of a Writer's chunk buffer; it doubles
// up to one full chunk, so small parts stay small and big ones allocate
// only a few times per Writer, never per record.
const initialBuffer = 4 << 10

// Writer encodes one part. It buffers one chunk of records and writes it
// with a single Write call once full, so the underlying writer sees the
// header lazily with the first chunk (or at Close for a part with at most
// MaxChunkRecords records).
type Writer struct {
	w       io.Writer
	hash    hash.Hash
	buf     []byte // unwritten bytes: [header] count placeholder records...
	countAt int    // offset in buf of the current chunk's count
	recSize int
	padMask byte
	keyed   keyedLayout
	final   bool
	limit   uint64 // MaxRecords of the header
	records uint64
	inChunk int
	chunkAt int // offset in buf of the current chunk's first record
	size    int64
	digest  [sha256.Size]byte
	closed  bool
	err     error // sticky write error
}

// NewWriter validates h and returns a Writer of a part with that header.
// No bytes are written yet.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, max(initialBuffer, h.size()+h.chunkHeaderSize()+h.RecordSize()))
	buf = appendHeader(buf, &h)
	wr := &Writer{
		w:       w,
		hash:    sha256.New(),
		countAt: len(buf),
		recSize: h.RecordSize(),
		padMask: h.padMask(),
		keyed:   newKeyedLayout(&h),
		final:   h.Final,
		limit:   uint64(MaxRecords(h)),
	}
	wr.buf = wr.appendChunkHeader(buf)
	return wr, nil
}

// appendChunkHeader appends the placeholder of a chunk's count (and of
// its size in bytes, for keyed parts) to buf and marks where records start.
func (w *Writer) appendChunkHeader(buf []byte) []byte {
	w.countAt = len(buf)
	buf = append(buf, 0, 0, 0, 0)
	if w.keyed.on {
		buf = append(buf, 0, 0, 0, 0)
	}
	w.chunkAt = len(buf)
	return buf
}

// WriteRecord appends one record. rec must be exactly RecordSize bytes,
// with the attribute bits beyond the header's attributes zero (see
// PackAttrs); for a keyed part it is the attribute bytes followed by one
// element per set key bit (SPEC.md section 3.2). rec is copied, so the
// caller may reuse it at once. A rejected record (ErrRecord, or ErrTooLarge
// once the part holds MaxRecords records) leaves the part unchanged.
func (w *Writer) WriteRecord(rec []byte) error {
	if w.keyed.on {
		if err := w.keyed.recordError(rec); err != nil {
			return err
		}
	} else if len(rec) != w.recSize || rec[len(rec)-1]&w.padMask != 0 {
		return w.badRecord(rec)
	}
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errClosed
	}
	if w.records == w.limit {
		return fmt.Errorf("%w: part already holds %d records", ErrTooLarge, w.limit)
	}
	if len(w.buf)+len(rec) > cap(w.buf) {
		w.grow(len(rec))
	}
	w.buf = append(w.buf, rec...)
	w.records++
	w.inChunk++
	if w.inChunk == MaxChunkRecords {
		return w.flushChunk()
	}
	return nil
}

// badRecord explains why WriteRecord rejected rec.
func (w *Writer) badRecord(rec []byte) error {
	if len(rec) != w.recSize {
		return fmt.Errorf("%w: %d bytes, want %d", ErrRecord, len(rec), w.recSize)
	}
	return fmt.Errorf("%w: attribute bits set beyond the declared attributes", ErrRecord)
}

// grow makes room for n more bytes, doubling the buffer.
func (w *Writer) grow(n int) {
	nb := make([]byte, len(w.buf), max(2*cap(w.buf), len(w.buf)+n))
	copy(nb, w.buf)
	w.buf = nb
}

// flushChunk writes the buffered full chunk and starts the next one.
func (w *Writer) flushChunk() error {
	w.putChunkHeader()
	w.hash.Write(w.buf)
	if err := w.emit(); err != nil {
		return err
	}
	w.buf = w.appendChunkHeader(w.buf[:0])
	w.inChunk = 0
	return nil
}

// putChunkHeader fills in the current chunk's count (and size).
func (w *Writer) putChunkHeader() {
	binary.BigEndian.PutUint32(w.buf[w.countAt:], uint32(w.inChunk))
	if w.keyed.on {
		binary.BigEndian.PutUint32(w.buf[w.countAt+countSize:], uint32(len(w.buf)-w.chunkAt))
	}
}

// emit writes the whole buffer to the underlying writer.
func (w *Writer) emit() error {
	n, err := w.w.Write(w.buf)
	w.size += int64(n)
	if err == nil && n != len(w.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("wire: writing part: %w", err)
	}
	return w.err
}

// Close writes the last chunk, the end marker and the trailer. It does not
// close the underlying writer. A non-final part must hold at least one
// record (SPEC.md); Close refuses an empty one with ErrChunk and writes
// nothing more.
func (w *Writer) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	if !w.final && w.records == 0 {
		return fmt.Errorf("%w: a non-final part must hold at least one record", ErrChunk)
	}
	w.closed = true
	if w.inChunk > 0 {
		w.putChunkHeader()
		w.buf = append(w.buf, 0, 0, 0, 0) // end marker
	} else {
		// The count placeholder is the end marker; a keyed chunk's size
		// placeholder goes, since no chunk follows.
		w.buf = w.buf[:w.countAt+countSize]
	}
	w.buf = binary.BigEndian.AppendUint64(w.buf, w.records)
	w.hash.Write(w.buf)
	w.hash.Sum(w.digest[:0])
	w.buf = append(w.buf, w.digest[:]...)
	return w.emit()
}

// Records is the number of records accepted so far.
func (w *Writer) Records() uint64 { return w.records }

// Size is the number of bytes written to the underlying writer so far.
func (w *Writer) Size() int64 { return w.size }

// Digest is the SHA-256 checksum that ends the part (the value a Reader's
// Digest returns); it is the zero value until Close succeeds.
func (w *Writer) Digest() [sha256.Size]byte {
	if !w.closed || w.err != nil {
		return [sha256.Size]byte{}
	}
	return w.digest
}
