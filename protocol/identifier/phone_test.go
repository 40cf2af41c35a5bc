package identifier_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

func TestPhoneE164(t *testing.T) {
	cases := []normCase{
		{name: "E.164", in: "+12345678901", want: "+12345678901"},
		{name: "trimmed", in: " +33612345678\t", want: "+33612345678"},
		{name: "10 digits", in: "+6512345678", want: "+6512345678"},
		{name: "15 digits", in: "+123456789012345", want: "+123456789012345"},
		{name: "empty", in: "", reason: "empty"},
		{name: "blank", in: "  ", reason: "empty"},
		{name: "plus only", in: "+", reason: "fewer than 10 digits"},
		{name: "9 digits", in: "+123456789", reason: "fewer than 10 digits"},
		{name: "16 digits", in: "+1234567890123456", reason: "more than 15 digits"},
		{name: "country code 0", in: "+0123456789", reason: "country code starts with 0"},
	}
	runNormTable(t, identifier.Normalizer{}, identifier.Phone, cases)
	// E.164 input is read by syntax alone: a default region changes nothing.
	runNormTable(t, identifier.Normalizer{DefaultRegion: "FR"}, identifier.Phone, cases)
}

// Without a default region only E.164 is accepted: no guessing.
func TestPhoneNoRegion(t *testing.T) {
	runNormTable(t, identifier.Normalizer{}, identifier.Phone, []normCase{
		{name: "no plus", in: "12345678901", reason: "not in E.164 form and no default region"},
		{name: "national", in: "06 12 34 56 78", reason: "not in E.164 form and no default region"},
		{name: "formatted international", in: "+1 234 567 8901", reason: "not in E.164 form and no default region"},
		{name: "letters", in: "+1234567890a", reason: "not in E.164 form and no default region"},
		{name: "fullwidth digits", in: "+１２３４５６７８９０１", reason: "not in E.164 form and no default region"},
		{name: "NUL", in: "+1234567890\x00", reason: "not in E.164 form and no default region"},
		{name: "invalid UTF-8", in: "+1234567890\xff", reason: "not in E.164 form and no default region"},
		{name: "double plus", in: "++12345678901", reason: "not in E.164 form and no default region"},
	})
}

func TestPhoneRegion(t *testing.T) {
	fr := identifier.Normalizer{DefaultRegion: "FR"}
	runNormTable(t, fr, identifier.Phone, []normCase{
		{name: "spaced", in: "06 12 34 56 78", want: "+33612345678"},
		{name: "dotted", in: "06.12.34.56.78", want: "+33612345678"},
		{name: "dashed", in: "06-12-34-56-78", want: "+33612345678"},
		{name: "international spaced", in: "+33 6 12 34 56 78", want: "+33612345678"},
		{name: "international prefix", in: "0033 6 12 34 56 78", want: "+33612345678"},
		{name: "foreign with plus", in: "+44 20 7183 8750", want: "+442071838750"},
		{name: "too short", in: "06 12 34 56 7", reason: "not a valid number for its country"},
		{name: "US number read as French", in: "(415) 555-0100", reason: "not a valid number for its country"},
		{name: "separators only", in: "()", reason: "not a phone number"},
		{name: "vanity letters", in: "1-800-FLOWERS", reason: "character not allowed"},
		{name: "extension", in: "+1 415 555 0100 ext 12", reason: "character not allowed"},
		{name: "plus inside", in: "06+12345678", reason: "character not allowed"},
		{name: "double plus", in: "++33 6 12 34 56 78", reason: "character not allowed"},
		{name: "NUL", in: "06 12 34 56 78\x00", reason: "character not allowed"},
		{name: "invalid UTF-8", in: "06 12 34 56 \xff", reason: "character not allowed"},
		{name: "Arabic-Indic digits", in: "٠٦١٢٣٤٥٦٧٨", reason: "character not allowed"},
		{name: "plus only", in: "+", reason: "fewer than 10 digits"},
		{name: "long", in: strings.Repeat("0", 65), reason: "longer than 64 bytes"},
		{name: "huge", in: strings.Repeat("1 ", 1<<19), reason: "longer than 64 bytes"},
	})
	runNormTable(t, identifier.Normalizer{DefaultRegion: "US"}, identifier.Phone, []normCase{
		{name: "US formatted", in: "(415) 555-0100", want: "+14155550100"},
		{name: "US with 1", in: "1-415-555-0100", want: "+14155550100"},
	})
}

func TestPhoneUnknownRegion(t *testing.T) {
	for _, region := range []string{"fr", "XX", "FRA", "001", "ZZ"} {
		n := identifier.Normalizer{DefaultRegion: region}
		if err := n.Validate(); !errors.Is(err, identifier.ErrUnknownRegion) {
			t.Errorf("Validate(%q) = %v", region, err)
		}
		if _, err := n.Normalize(identifier.Phone, "06 12 34 56 78"); !errors.Is(err, identifier.ErrUnknownRegion) || errors.Is(err, identifier.ErrInvalid) {
			t.Errorf("Normalize with region %q: %v", region, err)
		}
		// E.164 input does not need the region.
		if got, err := n.Normalize(identifier.Phone, "+33612345678"); err != nil || got != "+33612345678" {
			t.Errorf("Normalize E.164 with region %q = %q, %v", region, got, err)
		}
	}
	for _, region := range []string{"", "FR", "US", "GB"} {
		if err := (identifier.Normalizer{DefaultRegion: region}).Validate(); err != nil {
			t.Errorf("Validate(%q) = %v", region, err)
		}
	}
}
