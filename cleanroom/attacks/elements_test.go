package attacks

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/cloudflare/circl/group"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// TestAttackInvalidElements: a party uploads, among valid blinded
// elements, the identity (whose re-blinding would be the identity on both
// sides and match anything), non-canonical encodings (another spelling of
// a valid element, which would let one row match twice) and random 32-byte
// strings. Every one is refused with invalid_element naming the record,
// and nothing is stored; the random strings that are valid elements, as
// an independent implementation (circl) decides, are accepted.
func TestAttackInvalidElements(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{})
	honest := newSide(t, adv, s, rows("elem", 0, 1000))
	valid := honest.recs[0][:32]

	const (
		identity     = "identity element"
		nonCanonical = "not a canonical ristretto255 encoding"
	)
	hostile := []struct {
		name   string
		el     []byte
		reason string
	}{
		{"identity", make([]byte, 32), identity},
		{"identity spelled s = p", unhex(t, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), nonCanonical},
		{"s = p + 2 (s = 2, unreduced)", unhex(t, "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), nonCanonical},
		{"s = -1 (y = 0)", unhex(t, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), nonCanonical},
		{"s = 1 (negative)", unhex(t, "0100000000000000000000000000000000000000000000000000000000000000"), nonCanonical},
		{"all ones", bytes.Repeat([]byte{0xff}, 32), nonCanonical},
		{"valid element with bit 255 set", withBit(valid, 255), nonCanonical},
		{"valid element negated (low bit)", withBit(valid, 0), nonCanonical},
	}
	// Random strings, half of them nudged towards validity (even, below
	// 2^255) so that both outcomes occur.
	var lucky [][]byte
	for i := range 48 {
		b := make([]byte, 32)
		rand.Read(b)
		if i%2 == 0 {
			b[0] &^= 1
			b[31] &^= 0x80
		}
		if circlAccepts(b) {
			lucky = append(lucky, b)
			continue
		}
		hostile = append(hostile, struct {
			name   string
			el     []byte
			reason string
		}{fmt.Sprintf("random string %d", i), b, nonCanonical})
	}
	if len(lucky) == 0 || len(hostile) < 20 {
		t.Fatalf("%d random strings decode, %d do not: adjust the generator", len(lucky), len(hostile)-8)
	}

	for i, h := range hostile {
		at := (i * 37) % len(honest.recs)
		recs := slices.Clone(honest.recs)
		recs[at] = append(slices.Clone(h.el), recs[at][32:]...)
		part := honest.encode(t, recs)
		d := expectError(t, h.name, honest.put(t, "blinded", part), http.StatusBadRequest, api.CodeInvalidElement)
		if want := fmt.Sprintf("part 0 record %d: %s", at, h.reason); d.Message != want {
			t.Fatalf("%s: message %q, want %q", h.name, d.Message, want)
		}
	}
	if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedParts != 0 {
		t.Fatalf("%d parts stored after refusals", up.BlindedParts)
	}

	recs := slices.Clone(honest.recs)
	for _, b := range lucky {
		secrets.addBytes("blinded element", b)
		recs = append(recs, append(slices.Clone(b), honest.recs[0][32:]...))
	}
	part := honest.encode(t, recs)
	if rcpt := honest.mustPut(t, "blinded", part); rcpt.Records != uint64(len(recs)) || !rcpt.Complete {
		t.Fatalf("receipt %+v", rcpt)
	}
}

// circlAccepts reports whether circl, which shares no code with the
// server's decoder, takes b for a valid non-identity element.
func circlAccepts(b []byte) bool {
	e := group.Ristretto255.NewElement()
	return e.UnmarshalBinary(b) == nil && !e.IsIdentity()
}

// withBit returns a copy of b with bit i (little-endian) flipped.
func withBit(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i/8] ^= 1 << (i % 8)
	return c
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
