package identifier

import (
	"encoding/base64"
	"encoding/hex"
)

const (
	reasonHashLength   = "not 64 hex or 44 base64 characters"
	reasonBase64       = "invalid base64"
	reasonBase64Length = "base64 does not decode to 32 bytes"
	reasonBase64Canon  = "non-canonical base64"
	reasonEmptyHash    = "SHA-256 of the empty string"
)

// emptySHA256 is SHA-256 of zero bytes, lower-case hex. Files of pre-hashed
// identifiers often carry it for rows whose identifier was blank; no
// normalizer here can produce it (empty input is invalid), and every such
// row would match every other.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// parseHash decodes a pre-hashed identifier, the trimmed input s: 64 hex
// digits of either case, or the 44-character standard base64 (with its
// one '=' of padding) of 32 bytes, the two encodings UID2 and PAIR use. The
// normalized form is lower-case hex; the digest is the 32 decoded bytes.
func parseHash(s string) (Digest, string, error) {
	var d Digest
	var norm string
	switch len(s) {
	case 0:
		return d, "", invalid(SHA256, reasonEmpty)
	case hex.EncodedLen(len(d)):
		upper := false
		for i := range d {
			hi, up1, ok1 := unhex(s[2*i])
			lo, up2, ok2 := unhex(s[2*i+1])
			if !ok1 || !ok2 {
				return Digest{}, "", invalid(SHA256, reasonNonHex)
			}
			d[i] = hi<<4 | lo
			upper = upper || up1 || up2
		}
		norm = s
		if upper {
			norm = lowerHex(&d)
		}
	case base64.StdEncoding.EncodedLen(len(d)):
		if reason := decodeBase64(&d, s); reason != "" {
			return Digest{}, "", invalid(SHA256, reason)
		}
		norm = lowerHex(&d)
	default:
		return d, "", invalid(SHA256, reasonHashLength)
	}
	if norm == emptySHA256 {
		return Digest{}, "", invalid(SHA256, reasonEmptyHash)
	}
	return d, norm, nil
}

// lowerHex encodes d with a single allocation (hex.EncodeToString makes two).
func lowerHex(d *Digest) string {
	var buf [2 * len(d)]byte
	hex.Encode(buf[:], d[:])
	return string(buf[:])
}

// decodeBase64 decodes the 44-character s into d. Only the canonical
// encoding is accepted (padding bits zero, no line breaks, which the decoder
// would otherwise skip), so one digest has one textual form.
func decodeBase64(d *Digest, s string) (reason string) {
	var src [44]byte
	var dst [33]byte
	copy(src[:], s)
	n, err := base64.StdEncoding.Decode(dst[:], src[:])
	switch {
	case err != nil:
		return reasonBase64
	case n != len(d):
		return reasonBase64Length
	}
	var canon [44]byte
	base64.StdEncoding.Encode(canon[:], dst[:n])
	if string(canon[:]) != s {
		return reasonBase64Canon
	}
	copy(d[:], dst[:n])
	return ""
}
