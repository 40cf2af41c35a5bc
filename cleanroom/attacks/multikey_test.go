package attacks

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// TestAttackKeyedRecords: in a multi-key session a party sends keyed
// records whose presence bits and elements disagree, presence bits for a
// key the session does not match on, the one-key layout, and one element
// under two keys. Each is refused through the API with a clear error, and
// nothing is stored; the honest set is then accepted.
func TestAttackKeyedRecords(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{Policy: json.RawMessage(`{"match_keys": ["email", "phone"]}`)})
	attrs := sideAttrs(t, s, api.RoleAdvertiser)
	emailBit, phoneBit := uint64(1)<<(len(attrs)-2), uint64(1)<<(len(attrs)-1)
	consent := wiretest.AllBits(attrs) &^ (emailBit | phoneBit)
	el := func(i int) blind.Element { return blind.HashToElement(fmt.Appendf(nil, "keyed-attack-%d", i)) }
	honest := make([][]byte, 1000)
	for i := range honest {
		honest[i] = wiretest.KeyedRecord([]blind.Element{el(i)}, consent|emailBit, attrs)
	}
	// Row 0 with an e-mail and a phone: its attribute byte is the last
	// byte before its elements.
	both := wiretest.KeyedRecord([]blind.Element{el(0), el(5000)}, consent|emailBit|phoneBit, attrs)
	header := wire.Header{Kind: wire.KindBlinded, Final: true, Session: wiretest.SessionID(t, s.ID), Attrs: attrs}
	firstRecord := 37 + 2*len(attrs) + 8
	phoneByte, phoneMask := firstRecord+(len(attrs)-1)/8, byte(1)<<((len(attrs)-1)%8)
	rehash := func(part []byte) []byte {
		sum := sha256.Sum256(part[:len(part)-32])
		copy(part[len(part)-32:], sum[:])
		return part
	}
	withHeader := func(attrs []wire.Attr, keyed bool) []byte {
		h := header
		h.Attrs = attrs
		// Every attribute bit set but the presence bits after the first:
		// one element per record.
		bits, first := wiretest.AllBits(attrs), true
		for i, a := range attrs {
			if a.Kind == wire.AttrKey && !first {
				bits &^= 1 << i
			}
			first = first && a.Kind != wire.AttrKey
		}
		recs := make([][]byte, len(honest))
		for i := range recs {
			if keyed {
				recs[i] = wiretest.KeyedRecord([]blind.Element{el(i)}, bits, attrs)
			} else {
				recs[i] = wiretest.BlindedRecord(el(i), wiretest.AllBits(attrs), attrs)
			}
		}
		return wiretest.Part(t, h, recs)
	}
	noKeys := slices.DeleteFunc(slices.Clone(attrs), func(a wire.Attr) bool { return a.Kind == wire.AttrKey })
	tests := []struct {
		name    string
		part    []byte
		status  int
		code    string
		message string
	}{
		{"presence bit without element", func() []byte {
			p := wiretest.Part(t, header, honest)
			p[phoneByte] |= phoneMask
			return rehash(p)
		}(), http.StatusBadRequest, api.CodeInvalidPart, ""},
		{"element without presence bit", func() []byte {
			p := wiretest.Part(t, header, append([][]byte{both}, honest[1:]...))
			p[phoneByte] &^= phoneMask
			return rehash(p)
		}(), http.StatusBadRequest, api.CodeInvalidPart, ""},
		{"presence bits for a key the session lacks", withHeader(append(slices.Clone(attrs), wire.Attr{Kind: wire.AttrKey, Value: wire.KeyMAID}), true),
			http.StatusBadRequest, api.CodeInvalidPart, "match key maid, which the session does not match on"},
		{"the one-key layout", withHeader(noKeys, false), http.StatusBadRequest, api.CodeInvalidPart, "lacks the presence bit of match key email"},
		{"one element under two keys", wiretest.Part(t, header, append([][]byte{
			wiretest.KeyedRecord([]blind.Element{el(0), el(1)}, consent|emailBit|phoneBit, attrs)}, honest[1:]...)),
			http.StatusUnprocessableEntity, api.CodeDuplicate, ""},
	}
	for _, tt := range tests {
		d := expectError(t, tt.name, putPart(t, adv, s.ID, "blinded", tt.part), tt.status, tt.code)
		if !strings.Contains(d.Message, tt.message) {
			t.Errorf("%s: message %q lacks %q", tt.name, d.Message, tt.message)
		}
		if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedParts != 0 || up.BlindedRecords != 0 {
			t.Fatalf("%s: refused part left %d parts, %d records", tt.name, up.BlindedParts, up.BlindedRecords)
		}
	}
	if r := mustPutPart(t, adv, s.ID, "blinded", wiretest.Part(t, header, honest)); !r.Complete || r.Records != 1000 {
		t.Fatalf("honest keyed set: %+v", r)
	}
}
