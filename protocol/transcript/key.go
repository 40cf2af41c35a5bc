package transcript

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// ParsePublicKey reads a 32-byte Ed25519 public key written as hex (64
// digits, either case) or base64 (standard or URL alphabet, padded or
// not), as "blindjoin audit verify --server-key" takes it. Surrounding
// whitespace is ignored. Errors never echo the input.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	var b []byte
	var err error
	switch len(s) {
	case hex.EncodedLen(ed25519.PublicKeySize): // 64
		b, err = hex.DecodeString(s)
	case base64.StdEncoding.EncodedLen(ed25519.PublicKeySize): // 44, padded
		enc := base64.StdEncoding
		if strings.ContainsAny(s, "-_") {
			enc = base64.URLEncoding
		}
		b, err = enc.Strict().DecodeString(s)
	case base64.RawStdEncoding.EncodedLen(ed25519.PublicKeySize): // 43, unpadded
		enc := base64.RawStdEncoding
		if strings.ContainsAny(s, "-_") {
			enc = base64.RawURLEncoding
		}
		b, err = enc.Strict().DecodeString(s)
	default:
		return nil, ErrKey
	}
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, ErrKey
	}
	return ed25519.PublicKey(b), nil
}

// KeyID names a transcript signing key as a head's KeyID does:
// "transcript-" and the first 8 bytes of the SHA-256 of the public key, in
// hex, so that a rotated key gets another id and a verifier can say which
// key signed a head that its key does not verify.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "transcript-" + hex.EncodeToString(sum[:8])
}
