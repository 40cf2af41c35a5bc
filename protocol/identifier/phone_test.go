package identifier_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// phoneE164Cases are numbers written with their country code.
var phoneE164Cases = []normCase{
	{name: "E.164", in: "+12345678901", want: "+12345678901"},
	{name: "trimmed", in: " +33612345678\t", want: "+33612345678"},
	{name: "10 digits", in: "+6561234567", want: "+6561234567"},
	{name: "15 digits", in: "+431234567890555", want: "+431234567890555"},
	{name: "spaced", in: "+33 6 12 34 56 78", want: "+33612345678"},
	{name: "US punctuation", in: "+1 (415) 555-0100", want: "+14155550100"},
	{name: "dotted", in: "+33.6.12.34.56.78", want: "+33612345678"},
	{name: "overseas France", in: "+590 690 00 12 34", want: "+590690001234"},
	{name: "national prefix kept after country code", in: "+33 (0)6 12 34 56 78", want: "+33612345678"},
	// One rule for E.164 and national input: a number must be valid
	// in the metadata, as "07 01 23 45 67" with region FR must.
	{name: "unassigned French range", in: "+33701234567", reason: "not a valid number for its country"},
	{name: "UID2 Singapore typo", in: "+6512345678", reason: "not a valid number for its country"},
	{name: "15 digits, no such number", in: "+123456789012345", reason: "not a valid number for its country"},
	// All zeros is a placeholder, even where the metadata calls it valid.
	{name: "all zeros, international freephone", in: "+800 0000 0000", reason: "not a valid number for its country"},
	{name: "all zeros, Tajikistan", in: "+992 000 000 000", reason: "not a valid number for its country"},
	{name: "spaced, too short", in: "+33 6 12 34", reason: "fewer than 10 digits"},
	{name: "letters", in: "+1234567890a", reason: "character not allowed"},
	{name: "fullwidth digits", in: "+１２３４５６７８９０１", reason: "character not allowed"},
	{name: "NUL", in: "+1234567890\x00", reason: "character not allowed"},
	{name: "invalid UTF-8", in: "+1234567890\xff", reason: "character not allowed"},
	{name: "double plus", in: "++12345678901", reason: "character not allowed"},
	{name: "extension", in: "+1 415 555 0100 ext 12", reason: "character not allowed"},
	{name: "huge", in: "+" + strings.Repeat("1", 1<<16), reason: "longer than 64 bytes"},
	{name: "empty", in: "", reason: "empty"},
	{name: "blank", in: "  ", reason: "empty"},
	{name: "plus only", in: "+", reason: "fewer than 10 digits"},
	{name: "9 digits", in: "+123456789", reason: "fewer than 10 digits"},
	{name: "16 digits", in: "+1234567890123456", reason: "more than 15 digits"},
	{name: "country code 0", in: "+0123456789", reason: "country code starts with 0"},
}

func TestPhoneE164(t *testing.T) {
	runNormTable(t, identifier.Normalizer{}, identifier.Phone, phoneE164Cases)
	// E.164 input is read by syntax alone: a default region changes nothing.
	runNormTable(t, identifier.Normalizer{DefaultRegion: "FR"}, identifier.Phone, phoneE164Cases)
}

// Without a default region only numbers written with their country code
// are accepted: no guessing.
func TestPhoneNoRegion(t *testing.T) {
	runNormTable(t, identifier.Normalizer{}, identifier.Phone, phoneNoRegionCases)
}

func TestPhoneRegion(t *testing.T) {
	fr := identifier.Normalizer{DefaultRegion: "FR"}
	runNormTable(t, fr, identifier.Phone, phoneFRCases)
	runNormTable(t, identifier.Normalizer{DefaultRegion: "US"}, identifier.Phone, phoneUSCases)
	runNormTable(t, identifier.Normalizer{DefaultRegion: "TJ"}, identifier.Phone, []normCase{
		{name: "Tajik mobile", in: "917 12 34 56", want: "+992917123456"},
		{name: "all zeros, valid in the metadata", in: "000000000", reason: "not a valid number for its country"},
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

// National numbers of the territories that share France's numbering plan
// resolve to their own country codes under region FR; the library's
// example numbers of each territory, written nationally, are the inputs.
func TestPhoneFrenchOverseas(t *testing.T) {
	fr := identifier.Normalizer{DefaultRegion: "FR"}
	runNormTable(t, fr, identifier.Phone, phoneFrenchOverseasCases)
	// Other regions do not borrow France's territories.
	runNormTable(t, identifier.Normalizer{DefaultRegion: "BE"}, identifier.Phone, []normCase{
		{name: "Guadeloupe mobile from BE", in: "0690 00 12 34", reason: "not a valid number for its country"},
	})
}

// phoneNoRegionCases are read without a default region.
var phoneNoRegionCases = []normCase{
	{name: "no plus", in: "12345678901", reason: "not in E.164 form and no default region"},
	{name: "national", in: "06 12 34 56 78", reason: "not in E.164 form and no default region"},
	{name: "international prefix", in: "0033 6 12 34 56 78", reason: "not in E.164 form and no default region"},
	{name: "formatted international", in: "+1 234 567 8901", want: "+12345678901"},
}

// phoneFRCases are read with default region FR.
var phoneFRCases = []normCase{
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
	{name: "unassigned range", in: "07 01 23 45 67", reason: "not a valid number for its country"},
	{name: "long", in: strings.Repeat("0", 65), reason: "longer than 64 bytes"},
	{name: "huge", in: strings.Repeat("1 ", 1<<19), reason: "longer than 64 bytes"},
}

// phoneUSCases are read with default region US.
var phoneUSCases = []normCase{
	{name: "US formatted", in: "(415) 555-0100", want: "+14155550100"},
	{name: "US with 1", in: "1-415-555-0100", want: "+14155550100"},
	{name: "all zeros after the international prefix", in: "011 800 00000000", reason: "not a valid number for its country"},
}

// phoneFrenchOverseasCases are national numbers of France's overseas
// territories and their neighbours, read with default region FR.
var phoneFrenchOverseasCases = []normCase{
	{name: "Guadeloupe mobile", in: "0690 00 12 34", want: "+590690001234"},
	{name: "Guadeloupe fixed", in: "05 90 20 12 34", want: "+590590201234"},
	{name: "Martinique mobile", in: "0696 20 12 34", want: "+596696201234"},
	{name: "Martinique fixed", in: "0596301234", want: "+596596301234"},
	{name: "French Guiana mobile", in: "0694 20 12 34", want: "+594694201234"},
	{name: "Réunion mobile", in: "0692 12 34 56", want: "+262692123456"},
	{name: "Réunion fixed", in: "0262 16 12 34", want: "+262262161234"},
	{name: "Mayotte mobile", in: "0639 01 23 45", want: "+262639012345"},
	{name: "Mayotte fixed", in: "0269 60 12 34", want: "+262269601234"},
	{name: "metropolitan still first", in: "06 12 34 56 78", want: "+33612345678"},
	{name: "metropolitan 0699", in: "06 99 99 99 99", want: "+33699999999"},
	{name: "country code written out", in: "0033 596 30 12 34", want: "+33596301234"},
	{name: "neither", in: "07 01 23 45 67", reason: "not a valid number for its country"},
}
