// Package wiretest builds and reads wire parts for tests: the one place
// where a test that plays a party, or that needs a part of a given shape,
// encodes records by hand. Every function fails the test on an error, so a
// test reads as the parts it sends.
//
// It encodes through wire.Writer and decodes through wire.Reader, so what
// it builds is what a party's tool sends; a test that needs bytes the
// writer refuses to produce (a truncated part, a flipped bit) edits what
// Part returns. Only tests import it.
package wiretest

import (
	"bytes"
	"encoding/hex"
	"io"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// SessionID is the 16 bytes that wire headers carry for the session id of
// the API (32 hex digits).
func SessionID(t testing.TB, id string) [16]byte {
	t.Helper()
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 16 {
		t.Fatalf("wiretest: session id %q is not 16 bytes of hex", id)
	}
	return [16]byte(b)
}

// Part encodes one part: header h and the records recs.
func Part(t testing.TB, h wire.Header, recs [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := wire.NewWriter(&buf, h)
	if err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	for _, r := range recs {
		if err := w.WriteRecord(r); err != nil {
			t.Fatalf("wiretest: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	return buf.Bytes()
}

// Parts encodes recs as a whole set of session id (the API's hex id) in
// parts of at most perPart records: part i starts at record i*perPart and
// the last part is final. An empty set is one empty final part.
func Parts(t testing.TB, id string, kind wire.Kind, attrs []wire.Attr, recs [][]byte, perPart int) [][]byte {
	t.Helper()
	if perPart < 1 {
		t.Fatalf("wiretest: %d records per part", perPart)
	}
	sid := SessionID(t, id)
	var parts [][]byte
	for first := 0; first < len(recs) || len(parts) == 0; first += perPart {
		end := min(first+perPart, len(recs))
		parts = append(parts, Part(t, wire.Header{
			Kind: kind, Final: end == len(recs), Session: sid,
			Part: uint32(len(parts)), First: uint64(first), Attrs: attrs,
		}, recs[first:end]))
	}
	return parts
}

// BlindedRecord is the record of a blinded upload: the element, then the
// attribute bits (bit i for attrs[i]).
func BlindedRecord(el blind.Element, bits uint64, attrs []wire.Attr) []byte {
	rec := make([]byte, wire.ElementSize+(len(attrs)+7)/8)
	copy(rec, el[:])
	wire.PackAttrs(rec[wire.ElementSize:], bits, len(attrs))
	return rec
}

// KeyedRecord builds a record of the keyed layout (protocol/SPEC.md
// section 3.2): the attribute bytes of bits, whose key presence bits the
// caller sets, then elems, one per present key in the order of the key
// attributes.
func KeyedRecord(elems []blind.Element, bits uint64, attrs []wire.Attr) []byte {
	rec := make([]byte, (len(attrs)+7)/8, (len(attrs)+7)/8+len(elems)*wire.ElementSize)
	wire.PackAttrs(rec, bits, len(attrs))
	for _, el := range elems {
		rec = append(rec, el[:]...)
	}
	return rec
}

// AllBits sets every attribute bit of attrs: full consent, every segment.
func AllBits(attrs []wire.Attr) uint64 { return 1<<len(attrs) - 1 }

// Decoded is a part read back.
type Decoded struct {
	Header  wire.Header
	Records [][]byte // copies, safe to keep
	Digest  [32]byte // the checksum that ends the part, as receipts and transcripts show it
}

// Decode reads a whole part, checksum included.
func Decode(t testing.TB, part []byte) Decoded {
	t.Helper()
	rd, err := wire.NewReader(bytes.NewReader(part))
	if err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	d := Decoded{Header: rd.Header()}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			d.Digest = rd.Digest()
			return d
		}
		if err != nil {
			t.Fatalf("wiretest: %v", err)
		}
		d.Records = append(d.Records, bytes.Clone(rec))
	}
}

// DigestHex is the part's checksum in hex, as receipts and transcripts
// show it.
func DigestHex(t testing.TB, part []byte) string {
	t.Helper()
	d := Decode(t, part).Digest
	return hex.EncodeToString(d[:])
}

// Elements reads a part the clean room relayed (kind elements), decoding
// every record strictly as an element, as a party must.
func Elements(t testing.TB, part []byte) (wire.Header, []blind.Element) {
	t.Helper()
	d := Decode(t, part)
	if d.Header.Kind != wire.KindElements {
		t.Fatalf("wiretest: relayed part of kind %v", d.Header.Kind)
	}
	elems := make([]blind.Element, len(d.Records))
	for i, rec := range d.Records {
		el, err := blind.DecodeElement(rec)
		if err != nil {
			t.Fatalf("wiretest: the relayed part holds an invalid element: %v", err)
		}
		elems[i] = el
	}
	return d.Header, elems
}

// ElementRecords is elems as the records of a part.
func ElementRecords(elems []blind.Element) [][]byte {
	recs := make([][]byte, len(elems))
	for i := range elems {
		recs[i] = elems[i][:]
	}
	return recs
}

// JoinHeader is the header of the join part that answers the relayed
// part of header relayed: same session, index, first record and final
// flag.
func JoinHeader(relayed wire.Header) wire.Header {
	return wire.Header{Kind: wire.KindJoin, Final: relayed.Final, Session: relayed.Session, Part: relayed.Part, First: relayed.First}
}

// JoinRecords re-blinds elems with key and returns their join digests as
// records.
func JoinRecords(t testing.TB, key *blind.Key, elems []blind.Element) [][]byte {
	t.Helper()
	digests := make([][blind.JoinDigestSize]byte, len(elems))
	if err := key.ReblindJoinBatch(digests, elems); err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	recs := make([][]byte, len(digests))
	for i := range digests {
		recs[i] = digests[i][:]
	}
	return recs
}

// Reblind answers relayed parts with the join parts an honest party
// sends: every element re-blinded with key, as its join digest.
func Reblind(t testing.TB, key *blind.Key, relayed [][]byte) [][]byte {
	t.Helper()
	out := make([][]byte, len(relayed))
	for i, part := range relayed {
		h, elems := Elements(t, part)
		out[i] = Part(t, JoinHeader(h), JoinRecords(t, key, elems))
	}
	return out
}
