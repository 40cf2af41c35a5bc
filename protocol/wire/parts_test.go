package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
)

// This file builds parts byte by byte from SPEC.md, independently of the
// Writer, so that tests compare the package against the specification
// rather than against itself.

// testSession is the session id of every test part.
var testSession = [16]byte{0: 0xb1, 1: 0x1d, 15: 0x01}

// specRecordSize is the record size table of SPEC.md.
func specRecordSize(kind byte, nattrs int) int {
	switch kind {
	case 1:
		return 32 + (nattrs+7)/8
	case 2:
		return 32
	case 3:
		return 16
	}
	panic("test: unknown kind")
}

// rawHeader encodes h field by field as SPEC.md lays it out.
func rawHeader(h Header) []byte {
	var b bytes.Buffer
	b.WriteString("BJP1")
	b.WriteByte(1) // version
	b.WriteByte(1) // suite
	b.WriteByte(byte(h.Kind))
	if h.Final {
		b.WriteByte(1)
	} else {
		b.WriteByte(0)
	}
	b.Write(h.Session[:])
	binary.Write(&b, binary.BigEndian, h.Part)
	binary.Write(&b, binary.BigEndian, h.First)
	b.WriteByte(byte(len(h.Attrs)))
	for _, a := range h.Attrs {
		b.WriteByte(byte(a.Kind))
		b.WriteByte(a.Value)
	}
	return b.Bytes()
}

// canonicalChunks is the chunking SPEC.md mandates for n records.
func canonicalChunks(n int) []int {
	var sizes []int
	for n > 0 {
		c := min(n, 65536)
		sizes = append(sizes, c)
		n -= c
	}
	return sizes
}

// assemble builds a part from raw header bytes, records split into chunks
// of the given sizes (a chunk claiming more records than are left gets only
// those left), and a trailer whose total is total; the checksum is
// computed, so structural checks and not the checksum must catch any
// inconsistency the caller builds in.
func assemble(hdr []byte, records [][]byte, chunks []int, total uint64) []byte {
	var b bytes.Buffer
	b.Write(hdr)
	i := 0
	for _, c := range chunks {
		binary.Write(&b, binary.BigEndian, uint32(c))
		for ; c > 0 && i < len(records); c-- {
			b.Write(records[i])
			i++
		}
	}
	binary.Write(&b, binary.BigEndian, uint32(0))
	binary.Write(&b, binary.BigEndian, total)
	b.Write(make([]byte, 32))
	return rehash(b.Bytes())
}

// rehash recomputes the checksum at the end of an edited part.
func rehash(part []byte) []byte {
	sum := sha256.Sum256(part[:len(part)-32])
	copy(part[len(part)-32:], sum[:])
	return part
}

// specPart is the canonical encoding of h and records according to SPEC.md.
func specPart(h Header, records [][]byte) []byte {
	return assemble(rawHeader(h), records, canonicalChunks(len(records)), uint64(len(records)))
}

// specSize is the size formula of SPEC.md.
func specSize(h Header, n int) int {
	rec := specRecordSize(byte(h.Kind), len(h.Attrs))
	return 37 + 2*len(h.Attrs) + 4*len(canonicalChunks(n)) + n*rec + 4 + 8 + 32
}

// testRecords returns n deterministic pseudo-random records valid for h.
func testRecords(h Header, n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	size := specRecordSize(byte(h.Kind), len(h.Attrs))
	flat := make([]byte, n*size)
	recs := make([][]byte, n)
	for i := range recs {
		r := flat[i*size : (i+1)*size : (i+1)*size]
		for j := range r {
			r[j] = byte(rng.Uint32())
		}
		if h.Kind == KindBlinded {
			clearPadding(r[32:], len(h.Attrs))
		}
		recs[i] = r
	}
	return recs
}

// clearPadding zeroes the bits of attrs beyond the first n.
func clearPadding(attrs []byte, n int) {
	for bit := n; bit < 8*len(attrs); bit++ {
		attrs[bit/8] &^= 1 << (bit % 8)
	}
}

// smallHeader is a KindBlinded header with 9 attributes (two attribute
// bytes, seven padding bits): the richest layout in few bytes.
func smallHeader() Header {
	return Header{
		Kind: KindBlinded, Final: true, Session: testSession, Part: 2, First: 131072,
		Attrs: []Attr{
			{AttrPurposeConsent, 1}, {AttrPurposeConsent, 3}, {AttrPurposeConsent, 4},
			{AttrPurposeConsent, 7}, {AttrPurposeLI, 7}, {AttrPurposeConsent, 9},
			{AttrPurposeLI, 9}, {AttrVendors, 0}, {AttrSegment, 0},
		},
	}
}

// smallParts are small valid parts of every kind, for exhaustive
// truncation and bit-flip tests and as fuzz seeds.
func smallParts() map[string][]byte {
	blinded := smallHeader()
	elements := Header{Kind: KindElements, Session: testSession, Part: 1, First: 7}
	join := Header{Kind: KindJoin, Final: true, Session: testSession}
	empty := Header{Kind: KindJoin, Final: true, Session: testSession, Part: 3, First: 9}
	return map[string][]byte{
		"blinded":  specPart(blinded, testRecords(blinded, 3, 1)),
		"elements": specPart(elements, testRecords(elements, 2, 2)),
		"join":     specPart(join, testRecords(join, 4, 3)),
		"empty":    specPart(empty, nil),
	}
}

// sameHeader compares headers field by field (a nil and an empty attribute
// list are the same list).
func sameHeader(a, b Header) bool {
	return a.Kind == b.Kind && a.Final == b.Final && a.Session == b.Session &&
		a.Part == b.Part && a.First == b.First && slices.Equal(a.Attrs, b.Attrs)
}

// decoded is everything a Reader produced from one stream.
type decoded struct {
	header  Header
	records [][]byte
	digest  [32]byte
	err     error // nil when Next ended with io.EOF
}

// decodeAll runs a Reader to the end, copying every record.
func decodeAll(r io.Reader) decoded {
	rd, err := NewReader(r)
	if err != nil {
		return decoded{err: err}
	}
	d := decoded{header: rd.Header()}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			if got := rd.Records(); got != uint64(len(d.records)) {
				d.err = errors.New("test: Records() disagrees with Next")
			}
			d.digest = rd.Digest()
			return d
		}
		if err != nil {
			if rd.Digest() != ([32]byte{}) {
				d.err = errors.New("test: Digest set on a failed part")
			} else {
				d.err = err
			}
			return d
		}
		d.records = append(d.records, bytes.Clone(rec))
	}
}

// mustFail checks that decoding data fails with an *Error wrapping want
// (any error when want is nil) at offset wantOff (unchecked when negative).
func mustFail(t *testing.T, data []byte, want error, wantOff int64) {
	t.Helper()
	d := decodeAll(bytes.NewReader(data))
	if d.err == nil {
		t.Fatalf("decoded %d records and io.EOF, want an error", len(d.records))
	}
	var we *Error
	if !errors.As(d.err, &we) {
		t.Fatalf("error %v (%T) is not a *wire.Error", d.err, d.err)
	}
	if we.Offset < 0 || we.Offset > int64(len(data)) {
		t.Fatalf("error offset %d outside the %d-byte input", we.Offset, len(data))
	}
	if want != nil && !errors.Is(d.err, want) {
		t.Fatalf("error %v, want %v", d.err, want)
	}
	if wantOff >= 0 && we.Offset != wantOff {
		t.Fatalf("error %v at offset %d, want offset %d", d.err, we.Offset, wantOff)
	}
}
