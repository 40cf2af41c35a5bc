package wire

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestTruncatedEverywhere: every proper prefix of a valid part is
// ErrTruncated exactly where the bytes run out, never a shorter valid part.
func TestTruncatedEverywhere(t *testing.T) {
	for name, part := range smallParts() {
		t.Run(name, func(t *testing.T) {
			for cut := range len(part) {
				mustFail(t, part[:cut], ErrTruncated, int64(cut))
			}
		})
	}
}

// TestTruncatedMultiChunk cuts a two-chunk part around every chunk and
// trailer boundary.
func TestTruncatedMultiChunk(t *testing.T) {
	h := Header{Kind: KindJoin, Final: true, Session: testSession}
	part := specPart(h, testRecords(h, 65537, 7))
	hdr := 37
	second := hdr + 4 + 65536*16 // offset of the second chunk count
	end := second + 4 + 16
	for _, at := range []int{hdr, second, end, end + 4, end + 12, len(part) - 1} {
		for _, cut := range []int{at - 1, at, at + 1} {
			if cut < len(part) {
				mustFail(t, part[:cut], ErrTruncated, int64(cut))
			}
		}
	}
}

// TestTrailingData: anything after the trailer, even one zero byte, fails
// at the first extra byte.
func TestTrailingData(t *testing.T) {
	part := smallParts()["blinded"]
	for name, extra := range map[string][]byte{
		"zero byte":   {0},
		"ff byte":     {0xff},
		"many":        bytes.Repeat([]byte{0}, 4096),
		"second part": part,
	} {
		t.Run(name, func(t *testing.T) {
			mustFail(t, append(bytes.Clone(part), extra...), ErrTrailingData, int64(len(part)))
		})
	}
}

// TestEveryBitFlip: flipping any single bit of a part is detected.
func TestEveryBitFlip(t *testing.T) {
	for name, part := range smallParts() {
		t.Run(name, func(t *testing.T) {
			for i := range 8 * len(part) {
				flipped := bytes.Clone(part)
				flipped[i/8] ^= 1 << (i % 8)
				mustFail(t, flipped, nil, -1)
			}
		})
	}
}

// TestHostileHeaders edits header bytes and recomputes the checksum, so
// the structural checks, not the checksum, must catch each case.
func TestHostileHeaders(t *testing.T) {
	base := Header{Kind: KindBlinded, Session: testSession, Part: 1, First: 65536,
		Attrs: []Attr{{AttrPurposeConsent, 1}, {AttrSegment, 5}}}
	set := func(off int, v ...byte) func([]byte) []byte {
		return func(h []byte) []byte { copy(h[off:], v); return h }
	}
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	u64 := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	tests := []struct {
		name string
		edit func([]byte) []byte
		want error
		off  int64
	}{
		{"magic", set(0, 'B', 'J', 'P', '2'), ErrMagic, 0},
		{"magic lowercase", set(0, 'b'), ErrMagic, 0},
		{"version 0", set(4, 0), ErrVersion, 4},
		{"version 2", set(4, 2), ErrVersion, 4},
		{"suite 0", set(5, 0), ErrSuite, 5},
		{"suite 2", set(5, 2), ErrSuite, 5},
		{"kind 0", set(6, 0), ErrKind, 6},
		{"kind 4", set(6, 4), ErrKind, 6},
		{"kind 255", set(6, 255), ErrKind, 6},
		{"flag bit 1", set(7, 0x02), ErrHeader, 7},
		{"flag bit 7", set(7, 0x80), ErrHeader, 7},
		{"final plus reserved", set(7, 0x81), ErrHeader, 7},
		{"kind and flags swapped", set(6, 0x00, byte(KindBlinded)), ErrKind, 6},
		{"part and first swapped", set(24, append(u32(65536), u64(1)...)...), ErrHeader, 28},
		{"part 0 not at record 0", set(24, append(u32(0), u64(5)...)...), ErrHeader, 28},
		{"first below part", set(24, append(u32(3), u64(2)...)...), ErrHeader, 28},
		{"first 2^63", set(28, u64(1<<63)...), ErrHeader, 28},
		{"65 attributes", set(36, 65), ErrHeader, 36},
		{"255 attributes", set(36, 255), ErrHeader, 36},
		{"duplicate attribute", set(39, 1, 1), ErrHeader, 39},
		{"attribute kind 0", set(37, 0, 1), ErrHeader, 37},
		{"attribute kind 6", set(37, 6, 1), ErrHeader, 37},
		{"key value 0", set(37, 5, 0), ErrHeader, 37},
		{"key value 4", set(37, 5, 4), ErrHeader, 37},
		{"consent purpose 0", set(37, 1, 0), ErrHeader, 37},
		{"consent purpose 25", set(37, 1, 25), ErrHeader, 37},
		{"li purpose 0", set(37, 2, 0), ErrHeader, 37},
		{"li purpose 25", set(37, 2, 25), ErrHeader, 37},
		{"vendors value 1", set(37, 3, 1), ErrHeader, 37},
		{"segment 64", set(39, 4, 64), ErrHeader, 39},
		// Declaring a third attribute swallows the chunk count: the stream
		// no longer parses, whatever error it yields first.
		{"nattrs one too many", set(36, 3), nil, -1},
		{"nattrs one too few", set(36, 1), nil, -1},
	}
	records := testRecords(base, 3, 11)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := tt.edit(rawHeader(base))
			mustFail(t, assemble(hdr, records, []int{3}, 3), tt.want, tt.off)
		})
	}
	for _, kind := range []Kind{KindElements, KindJoin} {
		h := Header{Kind: kind, Session: testSession, Part: 0, Attrs: []Attr{{AttrVendors, 0}}}
		rec := make([]byte, specRecordSize(byte(kind), 0))
		mustFail(t, assemble(rawHeader(h), [][]byte{rec}, []int{1}, 1), ErrHeader, 36)
	}
}

// TestHeaderSwapRawChecksum: header edits without a recomputed checksum
// are caught even when the edited header is itself plausible.
func TestHeaderSwapRawChecksum(t *testing.T) {
	h := Header{Kind: KindElements, Final: true, Session: testSession, Part: 1, First: 1}
	part := specPart(h, testRecords(h, 2, 3))
	swapped := bytes.Clone(part)
	swapped[6], swapped[7] = swapped[7], swapped[6] // kind 1, final: a valid layout
	mustFail(t, swapped, nil, -1)
	other := bytes.Clone(part)
	other[8] ^= 0xff // another session
	mustFail(t, other, ErrChecksum, int64(len(part)-32))
}

// TestChunkFraming covers chunk counts, chunking rules and the trailer.
func TestChunkFraming(t *testing.T) {
	h := smallHeader() // 34-byte records, 7 padding bits
	hdr := rawHeader(h)
	recs := testRecords(h, 65538, 13)
	three := recs[:3]
	endOf := func(chunks ...int) int64 { // offset of the end marker
		off := int64(len(hdr))
		for _, c := range chunks {
			off += 4 + int64(c)*34
		}
		return off
	}
	padded := testRecords(h, 3, 13)
	padded[1][33] |= 0x80
	// Claiming two records of three makes the decoder read the third
	// record as a chunk count; this one starts with a count it must refuse.
	fewer := testRecords(h, 3, 13)
	fewer[2][0] = 0xff
	claimsFewer := assemble(hdr, fewer, []int{3}, 3)
	binary.BigEndian.PutUint32(claimsFewer[len(hdr):], 2)
	tests := []struct {
		name  string
		part  []byte
		want  error // nil: must decode to nrecs records
		off   int64
		nrecs int
	}{
		{name: "one full chunk", part: assemble(hdr, recs, []int{65536}, 65536), nrecs: 65536},
		{name: "full then one", part: assemble(hdr, recs, []int{65536, 1}, 65537), nrecs: 65537},
		{name: "count 65537", part: assemble(hdr, recs, []int{65537}, 65537), want: ErrChunk, off: endOf()},
		{name: "count 2^32-1", part: assemble(hdr, three, []int{0xffffffff}, 3), want: ErrChunk, off: endOf()},
		{name: "short chunk not last", part: assemble(hdr, three, []int{1, 2}, 3), want: ErrChunk, off: endOf(1)},
		{name: "65535 then 2", part: assemble(hdr, recs, []int{65535, 2}, 65537), want: ErrChunk, off: endOf(65535)},
		{name: "count claims more than remain", part: assemble(hdr, three, []int{5}, 3), want: ErrTruncated, off: -1},
		{name: "count claims fewer", part: rehash(claimsFewer), want: ErrChunk, off: endOf(2)},
		{name: "total too high", part: assemble(hdr, three, []int{3}, 4), want: ErrChunk, off: endOf(3) + 4},
		{name: "total too low", part: assemble(hdr, three, []int{3}, 2), want: ErrChunk, off: endOf(3) + 4},
		{name: "padding bit set", part: assemble(hdr, padded, []int{3}, 3), want: ErrRecord, off: endOf() + 4 + 34 + 33},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				d := decodeAll(bytes.NewReader(tt.part))
				if d.err != nil || len(d.records) != tt.nrecs {
					t.Fatalf("decoded %d records, %v; want %d and io.EOF", len(d.records), d.err, tt.nrecs)
				}
				return
			}
			mustFail(t, tt.part, tt.want, tt.off)
		})
	}
}

// TestEmptyParts: an empty final part is valid, an empty non-final one is
// not (every non-final part carries at least one record).
func TestEmptyParts(t *testing.T) {
	h := Header{Kind: KindElements, Final: true, Session: testSession}
	if d := decodeAll(bytes.NewReader(specPart(h, nil))); d.err != nil || len(d.records) != 0 {
		t.Fatalf("empty final part: %d records, %v", len(d.records), d.err)
	}
	h.Final = false
	mustFail(t, specPart(h, nil), ErrChunk, 37)
}

// TestChecksum: a wrong checksum or trailer is ErrChecksum at the checksum.
func TestChecksum(t *testing.T) {
	part := smallParts()["join"]
	bad := bytes.Clone(part)
	bad[len(bad)-1] ^= 1
	mustFail(t, bad, ErrChecksum, int64(len(part)-32))
	// Swapping two records keeps every count right: only the hash sees it.
	h := Header{Kind: KindJoin, Final: true, Session: testSession}
	recs := testRecords(h, 2, 1)
	good := specPart(h, recs)
	swapped := bytes.Clone(good)
	copy(swapped[41:57], recs[1])
	copy(swapped[57:73], recs[0])
	mustFail(t, swapped, ErrChecksum, int64(len(good)-32))
}
