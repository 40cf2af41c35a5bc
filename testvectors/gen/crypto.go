package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"

	"github.com/cloudflare/circl/group"

	"github.com/blindjoin/blindjoin/protocol"
	"github.com/blindjoin/blindjoin/protocol/blind"
)

// Labels the two parties' keys are derived from (README, "Keys").
const (
	keyALabel = "blindjoin test vectors v1 key_a"
	keyBLabel = "blindjoin test vectors v1 key_b"
)

// keys are the fixed scalars of the vectors, as circl scalars and in hex.
type keys struct {
	a, b       group.Scalar
	aHex, bHex string
}

func fixedKeys() (*keys, error) {
	a, aHex, err := deriveKey(keyALabel)
	if err != nil {
		return nil, err
	}
	b, bHex, err := deriveKey(keyBLabel)
	if err != nil {
		return nil, err
	}
	return &keys{a: a, b: b, aHex: aHex, bHex: bHex}, nil
}

// deriveKey returns SHA-512(label), read as a little-endian integer, modulo
// the group order: exactly what blind.GenerateKey does with 64 bytes from its
// random source, so it is fed the hash in place of randomness.
func deriveKey(label string) (group.Scalar, string, error) {
	wide := sha512.Sum512([]byte(label))
	k, err := blind.GenerateKey(bytes.NewReader(wide[:]))
	if err != nil {
		return nil, "", err
	}
	s := group.Ristretto255.NewScalar()
	if err := s.UnmarshalBinary(k.Bytes()); err != nil {
		return nil, "", fmt.Errorf("key %q: %w", label, err)
	}
	return s, hex.EncodeToString(k.Bytes()), nil
}

// hashToElement is hash_to_ristretto255(msg, DST) of RFC 9380 Appendix B.
func hashToElement(msg []byte) group.Element {
	return group.Ristretto255.HashToElement(msg, []byte(protocol.DST))
}

// mul returns s * e.
func mul(e group.Element, s group.Scalar) group.Element {
	return group.Ristretto255.NewElement().Mul(e, s)
}

// encode returns the canonical encoding of e.
func encode(e group.Element) []byte {
	b, err := e.MarshalBinary()
	if err != nil {
		panic("circl cannot encode an element: " + err.Error()) // never for ristretto255
	}
	return b
}

// decode reports whether b decodes to a group element (the identity
// included) and returns it. Each party decodes what it receives, so the
// second scalar multiplication starts from bytes, as in the protocol.
func decode(b []byte) (group.Element, bool) {
	e := group.Ristretto255.NewElement()
	return e, e.UnmarshalBinary(b) == nil
}

// joinDigest is the first 16 bytes of SHA-256("blindjoin-v1-join" || double).
func joinDigest(double []byte) []byte {
	sum := sha256.Sum256(append([]byte("blindjoin-v1-join"), double...))
	return sum[:16]
}
