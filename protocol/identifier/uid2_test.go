package identifier_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// uid2Examples are every example with a published hash in the UID2
// documentation, "Normalization and Encoding"
// (github.com/IABTechLab/uid2docs, docs/getting-started/gs-normalization-encoding.md),
// copied as published: each original value, its normalized form, and the
// SHA-256 of the normalized form in hex and in base64.
var uid2Examples = []struct {
	typ        identifier.Type
	region     string
	inputs     []string
	normalized string
	hex        string
	base64     string
}{
	{identifier.Email, "", []string{"user@example.com"}, "user@example.com",
		"b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514",
		"tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ="},
	{identifier.Email, "", []string{"MyEmail@example.com", "MYEMAIL@example.com"}, "myemail@example.com",
		"16c18d336f0b250f0e2d907452ceb9658a74ecdae8bc94864c23122a72cc27a5",
		"FsGNM28LJQ8OLZB0Us65ZYp07NrovJSGTCMSKnLMJ6U="},
	{identifier.Email, "", []string{"My.Email@example.com"}, "my.email@example.com",
		"e22b53bc6f871274f3a62ab37a3caed7214fc14d676215a96a242fcfada1c81f",
		"4itTvG+HEnTzpiqzejyu1yFPwU1nYhWpaiQvz62hyB8="},
	{identifier.Email, "", []string{"JANESAOIRSE@example.com", "JaneSaoirse@example.com"}, "janesaoirse@example.com",
		"d6670e7a92007f1b5ff785f1fc81e53aa6d3d7bd06bdf5c473cdc7286c284b6d",
		"1mcOepIAfxtf94Xx/IHlOqbT170GvfXEc83HKGwoS20="},
	{identifier.Email, "", []string{"jane.saoirse@example.com", "Jane.Saoirse@example.com"}, "jane.saoirse@example.com",
		"b196432c7b989a2ca91c83799957c515da53e6c13abf20b78fea94f117e90bf8",
		"sZZDLHuYmiypHIN5mVfFFdpT5sE6vyC3j+qU8RfpC/g="},
	{identifier.Email, "", []string{"JaneSaoirse+Work@example.com"}, "janesaoirse+work@example.com",
		"28aaee4815230cd3b4ebd88c515226550666e91ac019929e3adac3f66c288180",
		"KKruSBUjDNO069iMUVImVQZm6RrAGZKeOtrD9mwogYA="},
	{identifier.Email, "", []string{"JANE.SAOIRSE@gmail.com", "Jane.Saoirse@gmail.com", "JaneSaoirse+Work@gmail.com", "JANESaoirse@gmail.com"},
		"janesaoirse@gmail.com",
		"92ee26057ed9dea2535d6c8b141d48373932476599196e00352254896db5888f",
		"ku4mBX7Z3qJTXWyLFB1INzkyR2WZGW4ANSJUiW21iI8="},
	{identifier.Phone, "", []string{"+12345678901"}, "+12345678901",
		"10e6f0b47054a83359477dcb35231db6de5c69fb1816e1a6b98e192de9e5b9ee",
		"EObwtHBUqDNZR33LNSMdtt5cafsYFuGmuY4ZLenlue4="},
	// The US formatting example of the same page, read with region US.
	{identifier.Phone, "US", []string{"1 (234) 567-8901"}, "+12345678901",
		"10e6f0b47054a83359477dcb35231db6de5c69fb1816e1a6b98e192de9e5b9ee",
		"EObwtHBUqDNZR33LNSMdtt5cafsYFuGmuY4ZLenlue4="},
}

func TestUID2PublishedHashes(t *testing.T) {
	for _, ex := range uid2Examples {
		n := identifier.Normalizer{DefaultRegion: ex.region}
		want, err := hex.DecodeString(ex.hex)
		if err != nil {
			t.Fatal(err)
		}
		if got := base64.StdEncoding.EncodeToString(want); got != ex.base64 {
			t.Fatalf("published hex and base64 disagree for %s: %s", ex.normalized, got)
		}
		for _, in := range ex.inputs {
			d, norm, err := n.Digest(ex.typ, in)
			if err != nil {
				t.Fatalf("Digest(%s, %q): %v", ex.typ, in, err)
			}
			if norm != ex.normalized || hex.EncodeToString(d[:]) != ex.hex {
				t.Errorf("Digest(%s, %q) = %x, %q; want %s, %q", ex.typ, in, d, norm, ex.hex, ex.normalized)
			}
		}
		// The published hashes, given as pre-hashed input, give the same
		// digest: both encodings UID2 exchanges are accepted.
		for _, pre := range []string{ex.hex, ex.base64} {
			d, norm, err := n.Digest(identifier.SHA256, pre)
			if err != nil || norm != ex.hex || hex.EncodeToString(d[:]) != ex.hex {
				t.Errorf("Digest(sha256, %q) = %x, %q, %v", pre, d, norm, err)
			}
		}
	}
}

// TestUID2NotNormalized checks the page's counter-example: hashing
// "JANESaoirse@gmail.com" without normalizing gives a different, published
// value, which our digest must not equal.
func TestUID2NotNormalized(t *testing.T) {
	const in = "JANESaoirse@gmail.com"
	raw := sha256.Sum256([]byte(in))
	if got := base64.StdEncoding.EncodeToString(raw[:]); got != "VpLXEp5N1bj/V1WzjgZsC+FfuYdntAOywSVIO00FD/E=" {
		t.Fatalf("un-normalized hash = %s", got)
	}
	d, _, err := identifier.Normalizer{}.Digest(identifier.Email, in)
	if err != nil || d == identifier.Digest(raw) {
		t.Fatalf("Digest(%q) = %x, %v: equals the un-normalized hash", in, d, err)
	}
}

// TestUID2NormalizationExamples covers the published examples that come
// without a hash.
func TestUID2NormalizationExamples(t *testing.T) {
	runNormTable(t, identifier.Normalizer{}, identifier.Email, []normCase{
		{name: "gmail dot", in: "jane.doe@gmail.com", want: "janedoe@gmail.com"},
		{name: "gmail plus", in: "janedoe+home@gmail.com", want: "janedoe@gmail.com"},
	})
	runNormTable(t, identifier.Normalizer{DefaultRegion: "AU"}, identifier.Phone, []normCase{
		{name: "Sydney", in: "(02) 1234 5678", want: "+61212345678"},
	})
	// The Singapore example pairs "65 1243 5678" with "+6512345678" (the
	// digits differ: a typo in the page). Neither exists: UID2 checks
	// E.164 by syntax alone and would hash the second, blindjoin reads
	// every form with the numbering-plan metadata and reports both (a
	// digest of a number nobody has can only match by mistake). The
	// formatted one, read with region SG, becomes the 10-digit national
	// number 6512435678.
	runNormTable(t, identifier.Normalizer{}, identifier.Phone, []normCase{
		{name: "Singapore E.164", in: "+6512345678", reason: "not a valid number for its country"},
		{name: "Singapore, a real number", in: "+65 6123 4567", want: "+6561234567"},
	})
	runNormTable(t, identifier.Normalizer{DefaultRegion: "SG"}, identifier.Phone, []normCase{
		{name: "Singapore formatted", in: "65 1243 5678", reason: "not a valid number for its country"},
	})
}
