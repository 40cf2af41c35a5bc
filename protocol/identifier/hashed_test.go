package identifier_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

func TestSHA256Input(t *testing.T) {
	const lower = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"
	const b64 = "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ="
	raw, _ := hex.DecodeString(lower)
	b64of := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	emptyHash := sha256.Sum256(nil)
	runNormTable(t, identifier.Normalizer{}, identifier.SHA256, []normCase{
		{name: "lower hex", in: lower, want: lower},
		{name: "upper hex", in: strings.ToUpper(lower), want: lower},
		{name: "mixed hex trimmed", in: "  B4c9" + lower[4:] + "\t", want: lower},
		{name: "base64", in: b64, want: lower},
		{name: "base64 trimmed", in: "\r\n" + b64 + " ", want: lower},
		{name: "empty", in: "", reason: "empty"},
		{name: "63 hex", in: lower[:63], reason: "not 64 hex or 44 base64 characters"},
		{name: "65 hex", in: lower + "0", reason: "not 64 hex or 44 base64 characters"},
		{name: "43 base64 unpadded", in: strings.TrimSuffix(b64, "="), reason: "not 64 hex or 44 base64 characters"},
		{name: "raw 32 bytes", in: string(raw), reason: "not 64 hex or 44 base64 characters"},
		{name: "non-hex", in: "g" + lower[1:], reason: "non-hex character"},
		{name: "hex with NUL", in: lower[:63] + "\x00", reason: "non-hex character"},
		{name: "hex with invalid UTF-8", in: lower[:63] + "\xff", reason: "non-hex character"},
		{name: "hex with 0x prefix", in: "0x" + lower[2:], reason: "non-hex character"},
		{name: "hex with unicode", in: lower[:62] + "é", reason: "non-hex character"},
		{name: "base64 url alphabet", in: strings.ReplaceAll(b64, "/", "_"), reason: "invalid base64"},
		{name: "base64 bad char", in: "*" + b64[1:], reason: "invalid base64"},
		{name: "base64 inner pad", in: b64[:20] + "=" + b64[21:], reason: "invalid base64"},
		{name: "base64 of 31 bytes", in: b64of(31), reason: "base64 does not decode to 32 bytes"},
		{name: "base64 of 33 bytes", in: b64of(33), reason: "base64 does not decode to 32 bytes"},
		{name: "base64 with line break", in: b64[:20] + "\n" + b64[21:], reason: "invalid base64"},
		{name: "base64 non-zero pad bits", in: b64[:42] + "R=", reason: "non-canonical base64"},
		{name: "hash of empty string", in: hex.EncodeToString(emptyHash[:]), reason: "SHA-256 of the empty string"},
		{name: "hash of empty string upper", in: strings.ToUpper(hex.EncodeToString(emptyHash[:])), reason: "SHA-256 of the empty string"},
		{name: "hash of empty string base64", in: base64.StdEncoding.EncodeToString(emptyHash[:]), reason: "SHA-256 of the empty string"},
	})
	if len(b64of(31)) != 44 || len(b64of(33)) != 44 {
		t.Fatal("fixtures are not 44 characters")
	}
}

// A pre-hashed value is the digest itself, never hashed again.
func TestSHA256NotRehashed(t *testing.T) {
	const lower = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"
	d, norm, err := identifier.Normalizer{}.Digest(identifier.SHA256, strings.ToUpper(lower))
	if err != nil || norm != lower || hex.EncodeToString(d[:]) != lower {
		t.Fatalf("Digest = %x, %q, %v", d, norm, err)
	}
	email, _, err := identifier.Normalizer{}.Digest(identifier.Email, "user@example.com")
	if err != nil || email != d {
		t.Fatalf("email digest %x differs from its pre-hashed form %x (%v)", email, d, err)
	}
}
