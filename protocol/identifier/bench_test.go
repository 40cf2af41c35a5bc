package identifier_test

import (
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// Already-normalized input is the common case in large files; it must not
// allocate (this runs once per row). Phone numbers are not listed:
// reading, validating and formatting one allocates.
var zeroAllocInputs = []struct {
	typ identifier.Type
	in  string
}{
	{identifier.Email, "user@example.com"},
	{identifier.Email, " user@example.com\r"},
	{identifier.Email, "janesaoirse@gmail.com"},
	{identifier.Email, "a.rather.long.local.part.for.a.person@subdomain.example.co.uk"},
	{identifier.MAID, "97987bca-ae59-4c7d-94ba-ee4f19ab8c21"},
	{identifier.SHA256, "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"},
}

func TestDigestZeroAlloc(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	n := identifier.Normalizer{DefaultRegion: "FR"}
	for _, c := range zeroAllocInputs {
		allocs := testing.AllocsPerRun(100, func() {
			if _, _, err := n.Digest(c.typ, c.in); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("Digest(%s, %q): %v allocations", c.typ, c.in, allocs)
		}
	}
}

func benchDigest(b *testing.B, n identifier.Normalizer, typ identifier.Type, in string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.Digest(typ, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDigestEmail(b *testing.B) {
	benchDigest(b, identifier.Normalizer{}, identifier.Email, "user@example.com")
}

func BenchmarkDigestEmailToNormalize(b *testing.B) {
	benchDigest(b, identifier.Normalizer{}, identifier.Email, " Jane.Saoirse+Work@GMail.com ")
}

func BenchmarkDigestEmailInvalid(b *testing.B) {
	n := identifier.Normalizer{}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := n.Digest(identifier.Email, "user@@example.com"); err == nil {
			b.Fatal("accepted")
		}
	}
}

func BenchmarkDigestPhoneE164(b *testing.B) {
	benchDigest(b, identifier.Normalizer{}, identifier.Phone, "+33612345678")
}

func BenchmarkDigestPhoneNational(b *testing.B) {
	benchDigest(b, identifier.Normalizer{DefaultRegion: "FR"}, identifier.Phone, "06 12 34 56 78")
}

func BenchmarkDigestMAID(b *testing.B) {
	benchDigest(b, identifier.Normalizer{}, identifier.MAID, "6D92078A-8246-4BA4-AE5B-76104861E7DC")
}

func BenchmarkDigestSHA256Hex(b *testing.B) {
	benchDigest(b, identifier.Normalizer{}, identifier.SHA256, "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514")
}

func BenchmarkDigestSHA256Base64(b *testing.B) {
	benchDigest(b, identifier.Normalizer{}, identifier.SHA256, "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=")
}

// phoneBenchInputs are numbers written with '+', for comparing the fast
// path with the reference that reads every number with phonenumbers.Parse.
// The Toronto number is one of the dearest to validate: +1 is shared by 25
// regions, and the library tries them in order (the US first) until one
// claims it.
var phoneBenchInputs = []string{"+33612345678", "+1 (415) 555-0100", "+1 416-555-0143", "+390612345678", "+44 (0)20 7183 8750"}

func benchInternational(b *testing.B, parse func(string) (string, error)) {
	for _, in := range phoneBenchInputs {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPhoneInternational(b *testing.B) {
	benchInternational(b, identifier.ParseInternational)
}

func BenchmarkPhoneInternationalByParse(b *testing.B) {
	benchInternational(b, identifier.ParseInternationalByLibrary)
}

// validityBenchInputs are valid numbers whose validation costs the most
// where a calling code is shared: the first region of +1, +44 and +7,
// and numbers of later regions (Canada, Jersey, Kazakhstan).
var validityBenchInputs = []string{"+33612345678", "+14155550100", "+14165550143", "+447400123456", "+447797123456", "+77012345678"}

func benchValidity(b *testing.B, valid func(*phonenumbers.PhoneNumber) bool) {
	for _, in := range validityBenchInputs {
		num, err := phonenumbers.Parse(in, "")
		if err != nil || !phonenumbers.IsValidNumber(num) {
			b.Fatalf("%s: not a valid number", in)
		}
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !valid(num) {
					b.Fatal("not valid")
				}
			}
		})
	}
}

func BenchmarkPhoneValidity(b *testing.B) {
	benchValidity(b, identifier.IsValidNumber)
}

func BenchmarkPhoneValidityByLibrary(b *testing.B) {
	benchValidity(b, phonenumbers.IsValidNumber)
}
