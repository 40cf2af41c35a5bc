package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

// Encodings of the generator B and of 2B (RFC 9496 Appendix A.1).
const (
	encB  = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
	enc2B = "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919"
)

type encodingEntry struct {
	hex     string
	reason  string // empty: valid
	comment string
}

// withByte returns the encoding h with byte i XORed with x.
func withByte(h string, i int, x byte) string {
	b, _ := hex.DecodeString(h)
	b[i] ^= x
	return hex.EncodeToString(b)
}

var generatorEncodings = []encodingEntry{
	{hex: encB, comment: "the generator B (RFC 9496 A.1)"},
	{hex: enc2B, comment: "2B (RFC 9496 A.1)"},
}

var invalidEncodings = []encodingEntry{
	{hex: "", reason: schema.ReasonLength, comment: "empty"},
	{hex: encB[:62], reason: schema.ReasonLength, comment: "B without its last byte (31 bytes)"},
	{hex: encB + "00", reason: schema.ReasonLength, comment: "B with a zero byte appended (33 bytes)"},
	{hex: encB + enc2B, reason: schema.ReasonLength, comment: "B and 2B concatenated (64 bytes)"},

	{hex: strings.Repeat("00", 32), reason: schema.ReasonIdentity, comment: "the identity: a valid ristretto255 encoding that protocol v1 rejects, since k * identity is the identity for every key"},

	{hex: "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", reason: schema.ReasonNonCanonical, comment: "s = p, an alias of the identity (RFC 9496 A.2)"},
	{hex: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", reason: schema.ReasonNonCanonical, comment: "s = 2^255 - 1 (RFC 9496 A.2)"},
	{hex: "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", reason: schema.ReasonNonCanonical, comment: "s = p + 6 (RFC 9496 A.2)"},
	{hex: "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", reason: schema.ReasonNonCanonical, comment: "bit 255 set (RFC 9496 A.2)"},
	{hex: withByte(encB, 31, 0x80), reason: schema.ReasonNonCanonical, comment: "B with bit 255 set: a decoder that masks the top bit, as X25519 does, would accept it as B"},
	{hex: strings.Repeat("00", 31) + "80", reason: schema.ReasonNonCanonical, comment: "the identity with bit 255 set"},
	{hex: strings.Repeat("ff", 32), reason: schema.ReasonNonCanonical, comment: "all bits set"},

	{hex: "0100000000000000000000000000000000000000000000000000000000000000", reason: schema.ReasonNegative, comment: "s = 1 (RFC 9496 A.2)"},
	{hex: "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20", reason: schema.ReasonNegative, comment: "RFC 9496 A.2"},
	{hex: withByte(encB, 0, 0x01), reason: schema.ReasonNegative, comment: "B with its lowest bit flipped: s is odd"},

	{hex: "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371", reason: schema.ReasonNonSquare, comment: "RFC 9496 A.2"},
	{hex: "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f", reason: schema.ReasonNonSquare, comment: "RFC 9496 A.2"},

	{hex: "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e", reason: schema.ReasonNegativeXY, comment: "RFC 9496 A.2"},
	{hex: "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220", reason: schema.ReasonNegativeXY, comment: "RFC 9496 A.2"},

	{hex: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", reason: schema.ReasonZeroY, comment: "s = -1 (RFC 9496 A.2)"},
}

func encodingsFile(k *keys) (*schema.File, error) {
	f := &schema.File{
		Description: "Byte strings offered to the element decoder, which every party and the clean room apply to " +
			"every element they receive: valid ones must decode and re-encode to themselves, invalid ones must be " +
			"rejected, for the reason given (the first decoding step that fails). See README.md.",
	}
	// Two elements of the protocol itself: what parties send decodes.
	d, _, err := identifier.Normalizer{}.Digest(identifier.Email, "user@example.com")
	if err != nil {
		return nil, err
	}
	p := hashToElement(d[:])
	protocolEncodings := []encodingEntry{
		{hex: hex.EncodeToString(encode(p)), comment: "element of user@example.com (records.json)"},
		{hex: hex.EncodeToString(encode(mul(p, k.a))), comment: "blinded_a of user@example.com (records.json)"},
	}
	entries := slices.Concat(generatorEncodings, protocolEncodings, invalidEncodings)
	for _, e := range entries {
		if err := checkEncoding(e); err != nil {
			return nil, err
		}
		valid := e.reason == ""
		f.Encodings = append(f.Encodings, schema.Encoding{Comment: e.comment, Encoding: e.hex, Valid: &valid, Reason: e.reason})
	}
	return f, nil
}

// checkEncoding compares an entry's class with what circl's decoder does.
// The finer reasons (which step of the decoding fails) come from RFC 9496
// A.2 and from construction; replay.py recomputes them independently.
func checkEncoding(e encodingEntry) error {
	b, err := hex.DecodeString(e.hex)
	if err != nil {
		return err
	}
	_, decodes := decode(b)
	var want string
	switch {
	case len(b) != 32:
		want = schema.ReasonLength
	case bytes.Equal(b, make([]byte, 32)):
		want = schema.ReasonIdentity
	case !decodes:
		want = "rejected by the decoder"
	}
	got := e.reason
	if got != schema.ReasonLength && got != schema.ReasonIdentity && got != "" {
		got = "rejected by the decoder"
	}
	if got != want {
		return fmt.Errorf("encoding %s (%s): listed as %q, circl says %q", e.hex, e.comment, e.reason, want)
	}
	return nil
}
