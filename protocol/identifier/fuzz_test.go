package identifier_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// knownReasons lists every rejection reason. A reason outside this list
// fails the fuzz targets: reasons must stay constant phrases, which is what
// guarantees they never carry the input.
var knownReasons = map[string]bool{
	"empty": true, "contains white space": true, "contains a control character": true,
	"contains an invisible formatting character": true, "invalid UTF-8": true,
	"contains U+FFFD (text damaged by a wrong encoding)": true,
	"longer than 254 bytes":                              true, "missing '@'": true, "more than one '@'": true,
	"empty local part": true, "empty domain": true, "local part longer than 64 bytes": true,
	"character not allowed in local part": true, "character not allowed in domain": true,
	"domain has no '.'": true, "domain has an empty label": true,
	"local part empty after gmail.com normalization": true,
	"not in E.164 form and no default region":        true, "fewer than 10 digits": true,
	"more than 15 digits": true, "country code starts with 0": true,
	"longer than 64 bytes": true, "character not allowed": true, "not a phone number": true,
	"not a valid number for its country": true, "valid in more than one territory of the default region": true,
	"not a hyphenated 8-4-4-4-12 UUID": true, "non-hex character": true,
	"all-zero ID (ad tracking limited or refused)": true,
	"not 64 hex or 44 base64 characters":           true, "invalid base64": true,
	"base64 does not decode to 32 bytes": true, "non-canonical base64": true,
	"SHA-256 of the empty string": true,
}

// checkNormalize asserts, for any input: no panic, Normalize and Digest
// agree, rejections are *Error with a known reason, and accepted output is
// well-formed, normalizes to itself and yields the same digest again.
func checkNormalize(t *testing.T, n identifier.Normalizer, typ identifier.Type, in string, wellFormed func(string) bool) {
	norm, err := n.Normalize(typ, in)
	d, dnorm, derr := n.Digest(typ, in)
	if (err == nil) != (derr == nil) || norm != dnorm {
		t.Fatalf("Normalize = %q, %v; Digest = %q, %v", norm, err, dnorm, derr)
	}
	if err != nil {
		var ie *identifier.Error
		if !errors.As(err, &ie) || ie.Type != typ || !knownReasons[ie.Reason] {
			t.Fatalf("error %v is not an *Error with a known reason", err)
		}
		return
	}
	if !wellFormed(norm) {
		t.Fatalf("Normalize(%q) = %q: not well-formed", in, norm)
	}
	again, err := n.Normalize(typ, norm)
	if err != nil || again != norm {
		t.Fatalf("Normalize(%q) = %q but Normalize(%q) = %q, %v", in, norm, norm, again, err)
	}
	if d2, _, err := n.Digest(typ, norm); err != nil || d2 != d {
		t.Fatalf("Digest(%q) = %x, %v; Digest(%q) = %x", norm, d2, err, in, d)
	}
	want := identifier.Digest(sha256.Sum256([]byte(norm)))
	if typ == identifier.SHA256 {
		copy(want[:], mustHex(t, norm))
	}
	if d != want {
		t.Fatalf("Digest(%q) = %x, want %x", in, d, want)
	}
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func noASCIIUpper(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' }) < 0
}

func wellFormedEmail(s string) bool {
	return utf8.ValidString(s) && len(s) <= 254 && strings.Count(s, "@") == 1 &&
		strings.TrimSpace(s) == s && noASCIIUpper(s) && !strings.HasPrefix(s, "@") && !strings.HasSuffix(s, "@") &&
		norm.NFC.IsNormalString(s)
}

func wellFormedPhone(s string) bool {
	return len(s) >= 11 && len(s) <= 16 && s[0] == '+' && s[1] != '0' && strings.Trim(s[1:], "0123456789") == ""
}

func wellFormedMAID(s string) bool {
	return len(s) == 36 && strings.Count(s, "-") == 4 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
		strings.Trim(s, "0123456789abcdef-") == "" && strings.Trim(s, "0-") != ""
}

func wellFormedHash(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"user@example.com", " User@Example.COM ", "Jane.Doe+tag@GMail.com", "+@gmail.com", "a@b@c.com",
		"@x.com", "x@", "us er@x.com", "u\x00@x.com", "\xff@x.com", "josé@exämple.de", "a..b@x.jp",
		"user@gmail.com.", "\ufeffa@b.co", "a\u200b@b.co", "\"q\"@x.com",
		"HE\u0301LE\u0300NE@ORANGE.FR", "J\u030c@x.fr", "e.\u0301@gmail.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n := identifier.Normalizer{}
		checkNormalize(t, n, identifier.Email, in, wellFormedEmail)
		// Composed and decomposed spellings agree, whenever both fit the
		// length limits.
		want, err := n.Normalize(identifier.Email, in)
		if err != nil {
			return
		}
		if got, err := n.Normalize(identifier.Email, norm.NFD.String(in)); err == nil && got != want {
			t.Fatalf("NFD of %q gives %q, NFC gives %q", in, got, want)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"+12345678901", " +33612345678 ", "+", "+123456789", "+1234567890123456", "+0123456789",
		"06 12 34 56 78", "(415) 555-0100", "+33 6 12 34 56 78", "0033 6 12 34 56 78", "1-800-FLOWERS",
		"+1 415 555 0100 ext 12", "()", "65 1243 5678", "٠٦١٢", "\x00",
	} {
		f.Add(s)
	}
	regions := []identifier.Normalizer{{}, {DefaultRegion: "FR"}, {DefaultRegion: "US"}, {DefaultRegion: "SG"}}
	f.Fuzz(func(t *testing.T, in string) {
		for _, n := range regions {
			checkNormalize(t, n, identifier.Phone, in, wellFormedPhone)
		}
	})
}

func FuzzNormalizeMAID(f *testing.F) {
	for _, s := range []string{
		"6D92078A-8246-4BA4-AE5B-76104861E7DC", "97987bca-ae59-4c7d-94ba-ee4f19ab8c21",
		"00000000-0000-0000-0000-000000000000", "6D92078A82464BA4AE5B76104861E7DC",
		"{6D92078A-8246-4BA4-AE5B-76104861E7DC}", "6D92078A8-246-4BA4-AE5B-76104861E7DC",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkNormalize(t, identifier.Normalizer{}, identifier.MAID, in, wellFormedMAID)
	})
}

func FuzzNormalizeSHA256(f *testing.F) {
	for _, s := range []string{
		"b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514",
		"B4C9A289323B21A01C3E940F150EB9B8C542587F1ABFD8F0E1CC1FFC5E475514",
		"tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=", "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRR=",
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkNormalize(t, identifier.Normalizer{}, identifier.SHA256, in, wellFormedHash)
	})
}
