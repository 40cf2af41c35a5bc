package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// keyedHeader is a kind-blinded header of the keyed layout: nattrs segment
// bits, then presence bits for e-mail, phone and MAID.
func keyedHeader(nattrs int) Header {
	attrs := append(attrsOf(nattrs),
		Attr{AttrKey, KeyEmail}, Attr{AttrKey, KeyPhone}, Attr{AttrKey, KeyMAID})
	return Header{Kind: KindBlinded, Final: true, Session: testSession, Attrs: attrs}
}

// keyedRecord builds a keyed record by hand (SPEC.md section 3.2): the
// attribute bytes of bits over nattrs+3 attributes, then one element per
// present key (presence is bits 0..2 of present), each filled with fill.
func keyedRecord(nattrs int, segs uint64, present uint8, fill byte) []byte {
	bits := segs | uint64(present)<<nattrs
	n := (nattrs + 3 + 7) / 8
	rec := make([]byte, n)
	for i := range n {
		rec[i] = byte(bits >> (8 * i))
	}
	for k := range 3 {
		if present&(1<<k) != 0 {
			rec = append(rec, bytes.Repeat([]byte{fill + byte(k)}, ElementSize)...)
		}
	}
	return rec
}

// specKeyedPart assembles a keyed part from SPEC.md, independently of the
// Writer: every chunk is count, size in bytes, records.
func specKeyedPart(h Header, records [][]byte) []byte {
	var b bytes.Buffer
	b.Write(rawHeader(h))
	for _, c := range canonicalChunks(len(records)) {
		chunk := bytes.Join(records[:c], nil)
		records = records[c:]
		binary.Write(&b, binary.BigEndian, uint32(c))
		binary.Write(&b, binary.BigEndian, uint32(len(chunk)))
		b.Write(chunk)
	}
	binary.Write(&b, binary.BigEndian, uint32(0))
	return b.Bytes()
}

// finishPart appends the trailer of a part of total records to body.
func finishPart(body []byte, total uint64) []byte {
	body = binary.BigEndian.AppendUint64(body, total)
	return rehash(append(body, make([]byte, 32)...))
}

func TestKeyedRoundTrip(t *testing.T) {
	for _, nattrs := range []int{0, 5, 13} {
		for _, count := range []int{0, 1, 7, 65536, 65537} {
			t.Run(fmt.Sprintf("attrs=%d/records=%d", nattrs, count), func(t *testing.T) {
				h := keyedHeader(nattrs)
				rng := rand.New(rand.NewPCG(uint64(nattrs), uint64(count)))
				recs := make([][]byte, count)
				for i := range recs {
					recs[i] = keyedRecord(nattrs, rng.Uint64()&(1<<nattrs-1), uint8(1+rng.IntN(7)), byte(i))
				}
				got := encode(t, h, recs)
				want := finishPart(specKeyedPart(h, recs), uint64(count))
				if !bytes.Equal(got, want) {
					t.Fatalf("Writer output (%d bytes) differs from the SPEC.md encoding (%d bytes)", len(got), len(want))
				}
				d := decodeAll(bytes.NewReader(got))
				if d.err != nil {
					t.Fatal(d.err)
				}
				if len(d.records) != count {
					t.Fatalf("decoded %d records, want %d", len(d.records), count)
				}
				for i, rec := range d.records {
					if !bytes.Equal(rec, recs[i]) {
						t.Fatalf("record %d differs", i)
					}
					bits, elems := d.header.SplitRecord(rec)
					if present := uint8(bits >> nattrs); len(elems) != ElementSize*popcount(present) {
						t.Fatalf("record %d: %d element bytes for presence %03b", i, len(elems), present)
					}
				}
			})
		}
	}
}

func popcount(b uint8) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

// TestKeyedSize: a record of one identifier of three possible keys with 8
// consent bits costs 34 bytes (two attribute bytes and its element); one
// with three identifiers 98, under 33 bytes per identifier.
func TestKeyedSize(t *testing.T) {
	h := keyedHeader(8)
	one := finishPart(specKeyedPart(h, [][]byte{keyedRecord(8, 0, 0b001, 1)}), 1)
	three := finishPart(specKeyedPart(h, [][]byte{keyedRecord(8, 0, 0b111, 1)}), 1)
	if d := len(three) - len(one); d != 2*ElementSize {
		t.Fatalf("two more identifiers cost %d bytes, want %d", d, 2*ElementSize)
	}
	if got := len(keyedRecord(8, 0, 0b001, 1)); got != 34 {
		t.Fatalf("one-key record of 11 bits is %d bytes, want 34", got)
	}
	if got := MaxRecords(h); got*(2+3*ElementSize) > MaxPartSize {
		t.Fatalf("MaxRecords %d overflows MaxPartSize with full records", got)
	}
}

// TestKeyedHostile: records whose presence bits and elements disagree, and
// chunk sizes that lie, are refused where they go wrong; the checksum is
// always right, so the structure is what catches them.
func TestKeyedHostile(t *testing.T) {
	h := keyedHeader(5) // 8 attribute bits: one attribute byte
	hdr := rawHeader(h)
	good := keyedRecord(5, 0b10101, 0b011, 9) // 1 + 64 bytes
	chunk := func(count, size uint32, body ...[]byte) []byte {
		b := binary.BigEndian.AppendUint32(bytes.Clone(hdr), count)
		b = binary.BigEndian.AppendUint32(b, size)
		for _, r := range body {
			b = append(b, r...)
		}
		return append(b, 0, 0, 0, 0)
	}
	dataAt := int64(len(hdr) + 8)
	noKeys := keyedRecord(5, 1, 0, 9)
	moreBits := append([]byte{good[0] | 0b100<<5}, good[1:]...) // says 3 keys, carries 2
	fewerBits := append([]byte{good[0] &^ (0b010 << 5)}, good[1:]...)
	one := keyedRecord(5, 0, 0b100, 3)
	// 8 attributes fill their byte; a 9-attribute header has padding.
	h9 := keyedHeader(6)
	rec9 := keyedRecord(6, 0, 0b001, 4)
	rec9[1] |= 0x80
	pad9 := binary.BigEndian.AppendUint32(rawHeader(h9), 1)
	pad9 = binary.BigEndian.AppendUint32(pad9, uint32(len(rec9)))
	pad9 = append(append(pad9, rec9...), 0, 0, 0, 0)
	tests := []struct {
		name string
		part []byte
		want error
		off  int64
	}{
		{"presence bit without element", finishPart(chunk(1, uint32(len(moreBits)), moreBits), 1), ErrRecord, dataAt + int64(len(moreBits))},
		{"element without presence bit", finishPart(chunk(1, uint32(len(fewerBits)), fewerBits), 1), ErrRecord, dataAt + 1 + ElementSize},
		{"no key at all", finishPart(chunk(1, 1+ElementSize, noKeys, bytes.Repeat([]byte{1}, 32)), 1), ErrRecord, dataAt},
		{"size below one key per record", finishPart(chunk(2, 2*(1+ElementSize)-1, good), 2), ErrChunk, dataAt - 4},
		{"size above every key per record", finishPart(chunk(1, 1+3*ElementSize+1, good), 1), ErrChunk, dataAt - 4},
		{"more records than the count", finishPart(chunk(2, uint32(len(good)+2*len(one)), good, one, one), 2), ErrRecord, dataAt + int64(len(good)+len(one))},
		{"padding bit set", finishPart(pad9, 1), ErrRecord, int64(len(rawHeader(h9)) + 9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { mustFail(t, tt.part, tt.want, tt.off) })
	}
	if d := decodeAll(bytes.NewReader(finishPart(chunk(1, uint32(len(good)), good), 1))); d.err != nil {
		t.Fatalf("control part refused: %v", d.err)
	}
}

// TestKeyedWriterRefuses: the Writer never produces what the Reader refuses.
func TestKeyedWriterRefuses(t *testing.T) {
	h := keyedHeader(5)
	good := keyedRecord(5, 0, 0b011, 9)
	for name, rec := range map[string][]byte{
		"no key":              keyedRecord(5, 3, 0, 9),
		"missing element":     good[:len(good)-ElementSize],
		"extra element":       append(bytes.Clone(good), make([]byte, ElementSize)...),
		"empty":               {},
		"attribute byte only": good[:1],
	} {
		w, err := NewWriter(&bytes.Buffer{}, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRecord(rec); !errors.Is(err, ErrRecord) {
			t.Errorf("%s: WriteRecord = %v, want ErrRecord", name, err)
		}
	}
}
