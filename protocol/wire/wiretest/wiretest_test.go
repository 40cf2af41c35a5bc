package wiretest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

const id = "00112233445566778899aabbccddeeff"

func TestPartsSplitTheSet(t *testing.T) {
	attrs := []wire.Attr{{Kind: wire.AttrPurposeConsent, Value: 1}, {Kind: wire.AttrSegment, Value: 0}}
	var recs [][]byte
	for i := range 7 {
		recs = append(recs, BlindedRecord(blind.HashToElement([]byte{byte(i)}), uint64(i)%4, attrs))
	}
	parts := Parts(t, id, wire.KindBlinded, attrs, recs, 3)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	var got [][]byte
	for i, p := range parts {
		d := Decode(t, p)
		want := wire.Header{Kind: wire.KindBlinded, Final: i == 2, Session: SessionID(t, id), Part: uint32(i), First: uint64(3 * i), Attrs: attrs}
		if fmt.Sprint(d.Header) != fmt.Sprint(want) {
			t.Fatalf("part %d: header %+v, want %+v", i, d.Header, want)
		}
		if d.Digest != [32]byte(p[len(p)-32:]) || DigestHex(t, p) != hex.EncodeToString(p[len(p)-32:]) {
			t.Fatalf("part %d: digest is not the trailer's checksum", i)
		}
		got = append(got, d.Records...)
	}
	for i := range recs {
		if !bytes.Equal(got[i], recs[i]) {
			t.Fatalf("record %d changed", i)
		}
		if bits := wire.UnpackAttrs(got[i][wire.ElementSize:]); bits != uint64(i)%4 {
			t.Fatalf("record %d: bits %b", i, bits)
		}
	}
	if empty := Parts(t, id, wire.KindBlinded, attrs, nil, 3); len(empty) != 1 || !Decode(t, empty[0]).Header.Final {
		t.Fatal("an empty set is not one empty final part")
	}
}

// TestReblindAnswersTheRelay: the join part answers the relayed part's
// index and holds, per element, the digest of the element re-blinded.
func TestReblindAnswersTheRelay(t *testing.T) {
	key, err := blind.GenerateKey(strings.NewReader(strings.Repeat("k", 64)))
	if err != nil {
		t.Fatal(err)
	}
	elems := []blind.Element{blind.HashToElement([]byte("a")), blind.HashToElement([]byte("b"))}
	relayed := Part(t, wire.Header{Kind: wire.KindElements, Final: true, Session: SessionID(t, id), Part: 4, First: 80}, ElementRecords(elems))
	h, got := Elements(t, relayed)
	if h.Part != 4 || h.First != 80 || len(got) != 2 || got[0] != elems[0] || got[1] != elems[1] {
		t.Fatalf("Elements: %+v %v", h, got)
	}
	join := Decode(t, Reblind(t, key, [][]byte{relayed})[0])
	if join.Header.Kind != wire.KindJoin || !join.Header.Final || join.Header.Part != 4 || join.Header.First != 80 || join.Header.Session != h.Session {
		t.Fatalf("join header %+v", join.Header)
	}
	for i, el := range elems {
		double, err := key.Reblind(&el)
		if err != nil {
			t.Fatal(err)
		}
		want := blind.JoinDigest(&double)
		if !bytes.Equal(join.Records[i], want[:]) {
			t.Fatalf("digest %d differs from JoinDigest(Reblind)", i)
		}
	}
}

func TestSessionID(t *testing.T) {
	sid := SessionID(t, id)
	if hex.EncodeToString(sid[:]) != id {
		t.Fatalf("SessionID(%q) = %x", id, sid)
	}
}
