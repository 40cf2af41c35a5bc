package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
)

// readStep bounds how much chunk buffer a Reader allocates ahead of the
// bytes that actually arrive, so a hostile chunk count costs the sender
// bandwidth before it costs the reader memory.
const readStep = 1 << 20

// Reader decodes one part from a stream.
//
// Records returned by Next come from a fully read chunk but are NOT yet
// integrity-checked: only the io.EOF that follows the trailer says that the
// checksum matched, the record count matched and nothing followed. A
// consumer must stage records and commit them only after io.EOF.
type Reader struct {
	r       io.Reader
	hash    hash.Hash
	h       Header
	recSize int // the record size; for keyed parts, the largest
	padMask byte
	keyed   keyedLayout
	off     int64  // bytes consumed from r
	buf     []byte // records of the current chunk
	pos     int    // offset in buf of the next record
	left    int    // records of buf not yet returned
	total   uint64 // records in the chunks read so far
	short   bool   // the last chunk held fewer than MaxChunkRecords records
	scratch [sha256.Size]byte
	digest  [sha256.Size]byte
	err     error // sticky: the first error, or io.EOF after a verified part
}

// NewReader reads and validates the header of a part.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{r: r, hash: sha256.New()}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Header returns a copy of the part's header.
func (r *Reader) Header() Header { return r.h.clone() }

// Records is the number of records Next has returned.
func (r *Reader) Records() uint64 {
	return r.total - uint64(r.left)
}

// Digest is the SHA-256 checksum of the part (what the transcript records);
// it is the zero value until Next has returned io.EOF.
func (r *Reader) Digest() [sha256.Size]byte {
	if r.err != io.EOF {
		return [sha256.Size]byte{}
	}
	return r.digest
}

// Next returns the next record, valid until the following call. It returns
// io.EOF only after the end marker, a trailer whose total and checksum
// match, and the end of the underlying stream; any other error (always an
// *Error) means the whole part must be discarded, including the records
// already returned.
func (r *Reader) Next() ([]byte, error) {
	for r.pos == len(r.buf) {
		if r.err != nil {
			return nil, r.err
		}
		r.buf, r.pos = r.buf[:0], 0
		if err := r.readChunk(); err != nil {
			r.buf = r.buf[:0]
			r.err = err
			return nil, err
		}
	}
	end := r.pos + r.recSize
	if r.keyed.on {
		end = r.pos + r.keyed.size(r.buf[r.pos:])
	}
	rec := r.buf[r.pos:end:end]
	r.pos = end
	r.left--
	return rec, nil
}

// fail builds the *Error for a failure at offset off.
func fail(off int64, err error) error { return &Error{Offset: off, Err: err} }

// fill reads exactly len(b) bytes; a stream that ends early is ErrTruncated.
func (r *Reader) fill(b []byte) error {
	n, err := io.ReadFull(r.r, b)
	r.off += int64(n)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fail(r.off, ErrTruncated)
	}
	if err != nil {
		return fail(r.off, err)
	}
	return nil
}

// read is fill for bytes that the trailer checksum covers.
func (r *Reader) read(b []byte) error {
	if err := r.fill(b); err != nil {
		return err
	}
	r.hash.Write(b)
	return nil
}

func (r *Reader) readHeader() error {
	var fixed [fixedHeaderSize]byte
	if err := r.read(fixed[:]); err != nil {
		return err
	}
	switch {
	case string(fixed[:offVersion]) != Magic:
		return fail(0, ErrMagic)
	case fixed[offVersion] != Version:
		return fail(offVersion, ErrVersion)
	case fixed[offSuite] != SuiteRistretto255SHA512:
		return fail(offSuite, ErrSuite)
	case !Kind(fixed[offKind]).valid():
		return fail(offKind, fmt.Errorf("%w %d", ErrKind, fixed[offKind]))
	case fixed[offFlags]&^flagFinal != 0:
		return fail(offFlags, fmt.Errorf("%w: reserved flag bits set", ErrHeader))
	case fixed[offNAttrs] > MaxAttrs:
		return fail(offNAttrs, fmt.Errorf("%w: %d attributes, at most %d", ErrHeader, fixed[offNAttrs], MaxAttrs))
	}
	h := Header{
		Kind:  Kind(fixed[offKind]),
		Final: fixed[offFlags]&flagFinal != 0,
		Part:  binary.BigEndian.Uint32(fixed[offPart:]),
		First: binary.BigEndian.Uint64(fixed[offFirst:]),
	}
	copy(h.Session[:], fixed[offSession:offPart])
	if n := int(fixed[offNAttrs]); n > 0 {
		raw := make([]byte, 2*n)
		if err := r.read(raw); err != nil {
			return err
		}
		h.Attrs = make([]Attr, n)
		for i := range h.Attrs {
			h.Attrs[i] = Attr{Kind: AttrKind(raw[2*i]), Value: raw[2*i+1]}
		}
	}
	if off, err := h.check(); err != nil {
		return fail(int64(off), err)
	}
	r.h, r.recSize, r.padMask = h, h.RecordSize(), h.padMask()
	r.keyed = newKeyedLayout(&h)
	return nil
}

// readChunk reads the next chunk into r.buf, or the end marker and trailer,
// in which case it returns io.EOF once they are verified.
func (r *Reader) readChunk() error {
	countOff := r.off
	if err := r.read(r.scratch[:countSize]); err != nil {
		return err
	}
	count := binary.BigEndian.Uint32(r.scratch[:countSize])
	switch {
	case count == 0:
		return r.readTrailer(countOff)
	case count > MaxChunkRecords:
		return fail(countOff, fmt.Errorf("%w: chunk of %d records, at most %d", ErrChunk, count, MaxChunkRecords))
	case r.short:
		return fail(countOff, fmt.Errorf("%w: a short chunk is not the last", ErrChunk))
	}
	need := int(count) * r.recSize
	if r.keyed.on {
		var err error
		if need, err = r.keyed.readSize(r, count); err != nil {
			return err
		}
	}
	if r.off+int64(need)+tailSize > MaxPartSize {
		return fail(countOff, ErrTooLarge)
	}
	dataOff := r.off
	for len(r.buf) < need {
		step := min(need-len(r.buf), readStep)
		if cap(r.buf) < len(r.buf)+step {
			nb := make([]byte, len(r.buf), min(need, max(2*cap(r.buf), len(r.buf)+step)))
			copy(nb, r.buf)
			r.buf = nb
		}
		seg := r.buf[len(r.buf) : len(r.buf)+step]
		if err := r.read(seg); err != nil {
			return err
		}
		r.buf = r.buf[:len(r.buf)+step]
	}
	if r.keyed.on {
		if err := r.keyed.check(r.buf, dataOff, count); err != nil {
			return err
		}
	} else if r.padMask != 0 {
		for i := r.recSize - 1; i < need; i += r.recSize {
			if r.buf[i]&r.padMask != 0 {
				return fail(dataOff+int64(i), fmt.Errorf("%w: attribute bits set beyond the declared attributes", ErrRecord))
			}
		}
	}
	r.total += uint64(count)
	r.left = int(count)
	r.short = count < MaxChunkRecords
	return nil
}

// readTrailer checks everything after the end marker at endOff and returns
// io.EOF if the part is intact.
func (r *Reader) readTrailer(endOff int64) error {
	if !r.h.Final && r.total == 0 {
		return fail(endOff, fmt.Errorf("%w: a non-final part must hold at least one record", ErrChunk))
	}
	totalOff := r.off
	if err := r.read(r.scratch[:8]); err != nil {
		return err
	}
	total := binary.BigEndian.Uint64(r.scratch[:8])
	sumOff := r.off
	if err := r.fill(r.scratch[:]); err != nil {
		return err
	}
	r.hash.Sum(r.digest[:0])
	if !bytes.Equal(r.digest[:], r.scratch[:]) {
		return fail(sumOff, ErrChecksum)
	}
	if total != r.total {
		return fail(totalOff, fmt.Errorf("%w: trailer counts %d records, chunks hold %d", ErrChunk, total, r.total))
	}
	n, err := io.ReadFull(r.r, r.scratch[:1])
	switch {
	case n > 0:
		return fail(r.off, ErrTrailingData)
	case err != io.EOF:
		return fail(r.off, err)
	}
	return io.EOF
}
