package wire

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// keyedLayout is what a Reader or Writer needs to walk the variable-size
// records of a keyed part (SPEC.md section 3.2): attribute bytes first,
// then one element per set key presence bit.
type keyedLayout struct {
	on        bool
	attrBytes int
	keyMask   uint64
	padMask   byte
	minSize   int // a record with one key
	maxSize   int // a record with every key
}

func newKeyedLayout(h *Header) keyedLayout {
	if !h.Keyed() {
		return keyedLayout{}
	}
	n := h.attrBytes()
	return keyedLayout{
		on:        true,
		attrBytes: n,
		keyMask:   h.keyMask(),
		padMask:   h.padMask(),
		minSize:   n + ElementSize,
		maxSize:   n + ElementSize*bits.OnesCount64(h.keyMask()),
	}
}

// keys is the number of elements a record with these attribute bytes
// carries.
func (l *keyedLayout) keys(attrs []byte) int {
	return bits.OnesCount64(UnpackAttrs(attrs[:l.attrBytes]) & l.keyMask)
}

// size is the size of the record that starts rec, whose attribute bytes
// check has already accepted.
func (l *keyedLayout) size(rec []byte) int {
	return l.attrBytes + ElementSize*l.keys(rec)
}

// recordError says what is wrong with a keyed record of the given size,
// or nil if the size agrees with its presence bits and the padding is
// zero.
func (l *keyedLayout) recordError(rec []byte) error {
	if len(rec) < l.attrBytes {
		return fmt.Errorf("%w: %d bytes, shorter than the attribute bytes", ErrRecord, len(rec))
	}
	if rec[l.attrBytes-1]&l.padMask != 0 {
		return fmt.Errorf("%w: attribute bits set beyond the declared attributes", ErrRecord)
	}
	n := l.keys(rec)
	if n == 0 {
		return fmt.Errorf("%w: a keyed record must have at least one key presence bit set", ErrRecord)
	}
	if len(rec) != l.attrBytes+n*ElementSize {
		return fmt.Errorf("%w: %d bytes, but its presence bits announce %d elements (%d bytes)",
			ErrRecord, len(rec), n, l.attrBytes+n*ElementSize)
	}
	return nil
}

// readSize reads the size field of a keyed chunk of count records and
// checks it against the smallest and largest records.
func (l *keyedLayout) readSize(r *Reader, count uint32) (int, error) {
	sizeOff := r.off
	if err := r.read(r.scratch[:countSize]); err != nil {
		return 0, err
	}
	size := int64(binary.BigEndian.Uint32(r.scratch[:countSize]))
	if size < int64(count)*int64(l.minSize) || size > int64(count)*int64(l.maxSize) {
		return 0, fail(sizeOff, fmt.Errorf("%w: %d records cannot fill %d bytes", ErrChunk, count, size))
	}
	return int(size), nil
}

// check walks the records of a keyed chunk: each must have at least one
// key and zero padding, and count records must fill the chunk exactly, so
// that presence bits and elements agree. off is the stream offset of
// buf[0].
func (l *keyedLayout) check(buf []byte, off int64, count uint32) error {
	pos := 0
	for range count {
		if len(buf)-pos < l.minSize {
			return fail(off+int64(pos), fmt.Errorf("%w: the chunk ends inside a record: presence bits and elements disagree", ErrRecord))
		}
		// After the first record, bad attribute bytes are most often the
		// element bytes of a record whose presence bits said too few
		// elements: the messages say so.
		if buf[pos+l.attrBytes-1]&l.padMask != 0 {
			return fail(off+int64(pos+l.attrBytes-1), fmt.Errorf("%w: attribute bits set beyond the declared attributes%s", ErrRecord, desyncHint(pos)))
		}
		n := l.keys(buf[pos:])
		if n == 0 {
			return fail(off+int64(pos), fmt.Errorf("%w: a keyed record must have at least one key presence bit set%s", ErrRecord, desyncHint(pos)))
		}
		pos += l.attrBytes + n*ElementSize
		if pos > len(buf) {
			return fail(off+int64(len(buf)), fmt.Errorf("%w: the chunk ends inside a record: presence bits and elements disagree", ErrRecord))
		}
	}
	if pos != len(buf) {
		return fail(off+int64(pos), fmt.Errorf("%w: bytes left after the chunk's records: presence bits and elements disagree", ErrRecord))
	}
	return nil
}

// desync is the hint added to an error about the record at pos of a chunk.
func desyncHint(pos int) string {
	if pos == 0 {
		return ""
	}
	return " (or presence bits and elements disagree in an earlier record)"
}
