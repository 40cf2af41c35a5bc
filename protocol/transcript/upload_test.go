package transcript

import (
	"bytes"
	"errors"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

const uploadSession = "00112233445566778899aabbccddeeff"

// part encodes a three-record part of the given kind, session and index,
// returning its bytes and its digest in hex.
func part(t *testing.T, kind wire.Kind, session string, index uint32, fill byte) ([]byte, string) {
	t.Helper()
	h := wire.Header{Kind: kind, Final: true, Session: wiretest.SessionID(t, session), Part: index, First: uint64(index) * 3}
	rec := bytes.Repeat([]byte{fill}, h.RecordSize())
	p := wiretest.Part(t, h, [][]byte{rec, rec, rec})
	return p, wiretest.DigestHex(t, p)
}

func TestFindUpload(t *testing.T) {
	blinded, blindedDigest := part(t, wire.KindBlinded, uploadSession, 1, 7)
	join, joinDigest := part(t, wire.KindJoin, uploadSession, 0, 9)
	unrecorded, _ := part(t, wire.KindBlinded, uploadSession, 1, 8)
	otherSession, _ := part(t, wire.KindBlinded, "ffeeddccbbaa99887766554433221100", 1, 7)
	relay, relayDigest := part(t, wire.KindElements, uploadSession, 0, 7)
	tr := seal(t, uploadSession, []Event{
		{Seq: 1, Time: t0, Actor: "adv", Type: TypeSessionCreated},
		{Seq: 2, Time: t0, Actor: "news", Type: TypePartUploaded, Data: map[string]string{
			KeySide: "media_partner", KeyPart: "1", KeyDigest: blindedDigest, KeyRecords: "3"}},
		{Seq: 3, Time: t0, Actor: "adv", Type: TypeReblindedUploaded, Data: map[string]string{
			KeySide: "advertiser", KeyPart: "0", KeyDigest: joinDigest, KeyRecords: "3"}},
		// A relay's digest recorded as if uploaded must still not match: a
		// party never uploads an elements part.
		{Seq: 4, Time: t0, Actor: "adv", Type: TypePartUploaded, Data: map[string]string{
			KeySide: "advertiser", KeyPart: "0", KeyDigest: relayDigest, KeyRecords: "3"}},
	})

	for _, tc := range []struct {
		name string
		data []byte
		want Upload
	}{
		{"blinded part", blinded, Upload{Kind: wire.KindBlinded, Part: 1, Side: "media_partner", Records: 3}},
		{"join part", join, Upload{Kind: wire.KindJoin, Part: 0, Side: "advertiser", Records: 3}},
	} {
		got, err := tr.FindUpload(bytes.NewReader(tc.data))
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"digest not recorded", unrecorded, ErrUploadNotRecorded},
		{"another session's part", otherSession, ErrUploadNotRecorded},
		{"a relayed part", relay, ErrUploadNotRecorded},
		{"a truncated part", blinded[:len(blinded)-1], wire.ErrTruncated},
	} {
		if _, err := tr.FindUpload(bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
