package tcf

import "strconv"

// A bitReader reads big-endian bit fields from one base64url segment.
//
// Errors are sticky: the first failure (a truncated field or a value a caller
// rejects through fail) is kept, later reads return zero, and the segment
// decoders check err once per section. Zero values keep every loop bounded,
// and the first error is the one reported.
type bitReader struct {
	buf     []byte // the segment's bits, packed eight per byte
	nbits   int    // six per character
	pos     int    // next bit to read
	section string // prefix for DecodeError.Field
	err     *DecodeError
}

// newBitReader unpacks a segment. It rejects an empty segment and any
// character outside the base64url alphabet; positions, not characters, are
// reported.
func newBitReader(segment, section string) (*bitReader, error) {
	if segment == "" {
		return nil, malformed(section, "empty segment")
	}
	nbits := 6 * len(segment)
	buf := make([]byte, (nbits+7)/8)
	for i := 0; i < len(segment); i++ {
		v, ok := sextet(segment[i])
		if !ok {
			return nil, malformed(section, "character "+strconv.Itoa(i+1)+" is outside the base64url alphabet")
		}
		// Place the six bits of character i at bit offset 6*i.
		bit := 6 * i
		word := uint16(v) << (10 - bit%8) // left-align in 16 bits, then shift to offset
		buf[bit/8] |= byte(word >> 8)
		if bit/8+1 < len(buf) {
			buf[bit/8+1] |= byte(word)
		}
	}
	return &bitReader{buf: buf, nbits: nbits, section: section}, nil
}

// sextet maps a base64url character (RFC 4648 table 2) to its six bits.
func sextet(c byte) (byte, bool) {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A', true
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26, true
	case '0' <= c && c <= '9':
		return c - '0' + 52, true
	case c == '-':
		return 62, true
	case c == '_':
		return 63, true
	}
	return 0, false
}

// fail records the first error of the segment.
func (r *bitReader) fail(field, reason string) {
	if r.err == nil {
		r.err = malformed(r.section+"."+field, reason)
	}
}

// uint reads an n-bit (n <= 64) unsigned field.
func (r *bitReader) uint(n int, field string) uint64 {
	if r.err != nil {
		return 0
	}
	if n > r.nbits-r.pos {
		r.fail(field, "truncated: the segment ends inside this field")
		return 0
	}
	var v uint64
	for n > 0 {
		off := r.pos % 8
		take := min(8-off, n)
		b := uint64(r.buf[r.pos/8]) >> (8 - off - take) & (1<<take - 1)
		v = v<<take | b
		r.pos += take
		n -= take
	}
	return v
}

// int reads an n-bit field (n <= 36 in every caller) as an int.
func (r *bitReader) int(n int, field string) int { return int(r.uint(n, field)) }

// bool reads a one-bit flag.
func (r *bitReader) bool(field string) bool { return r.uint(1, field) == 1 }

// finish checks that only zero padding follows the last field, and returns
// the segment's first error.
func (r *bitReader) finish() error {
	for r.err == nil && r.pos < r.nbits {
		if r.uint(min(64, r.nbits-r.pos), "padding") != 0 {
			r.fail("padding", "non-zero bits after the last field")
		}
	}
	if r.err != nil {
		return r.err
	}
	return nil
}
