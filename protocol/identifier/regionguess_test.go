package identifier_test

import (
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// frenchNationals are French numbers as a CRM holds them: mobiles, fixed
// lines of several areas, one overseas mobile.
var frenchNationals = []string{
	"06 12 34 56 78", "07 81 23 45 67", "01 42 68 53 00", "04 72 10 30 30", "05 56 00 66 00",
	"02 40 41 90 00", "03 88 60 90 90", "06 98 76 54 32", "0690 00 12 34", "09 70 80 90 00",
}

func TestRegionGuesser(t *testing.T) {
	// French numbers are also valid in other plans; the file's own
	// international numbers break the tie.
	var g identifier.RegionGuesser
	for _, s := range frenchNationals {
		g.Rejected(s)
	}
	g.Accepted("+33612345678")
	g.Accepted("+33142685300")
	g.Accepted("+14155550100")
	if region, ok := g.Suggest(); !ok || region != "FR" {
		t.Fatalf("Suggest = %q, %v", region, ok)
	}

	// The whole sample is valid in France only (the overseas mobile
	// included): no tie.
	var whole identifier.RegionGuesser
	for _, s := range frenchNationals {
		whole.Rejected(s)
	}
	if region, ok := whole.Suggest("US"); !ok || region != "FR" {
		t.Fatalf("whole sample: Suggest = %q, %v", region, ok)
	}

	// Two mobiles are valid in many plans. Without international numbers
	// the caller's preference decides among the regions that did as well;
	// a preference that did worse is not taken, and without one there is
	// no suggestion.
	var h identifier.RegionGuesser
	h.Rejected("06 12 34 56 78")
	h.Rejected("06 98 76 54 32")
	if region, ok := h.Suggest(); ok {
		t.Fatalf("tie: Suggest = %q", region)
	}
	if region, ok := h.Suggest("FR"); !ok || region != "FR" {
		t.Fatalf("Suggest(FR) = %q, %v", region, ok)
	}
	if region, ok := h.Suggest("US"); ok {
		t.Fatalf("Suggest(US) = %q: US reads none of them", region)
	}

	// US numbers of several area codes: every NANPA region reads them as
	// valid US numbers, which count for US only.
	var us identifier.RegionGuesser
	for _, s := range []string{"(415) 555-0100", "(212) 736-5000", "312-555-0142", "(617) 253-1000",
		"206.555.0199", "(305) 555-0123", "1 (512) 555-0111", "702 555 0155"} {
		us.Rejected(s)
	}
	if region, ok := us.Suggest(); !ok || region != "US" {
		t.Fatalf("US: Suggest = %q, %v", region, ok)
	}

	// Not phone numbers at all, or a minority readable: no suggestion.
	var junk identifier.RegionGuesser
	for _, s := range []string{"n/a", "unknown", "+33 6", "", "0", "12", "06 12 34 56 78"} {
		junk.Rejected(s)
	}
	junk.Rejected("-")
	junk.Rejected("--")
	junk.Rejected("()")
	if region, ok := junk.Suggest("FR"); ok {
		t.Fatalf("junk: Suggest = %q", region)
	}
	var empty identifier.RegionGuesser
	if region, ok := empty.Suggest("FR"); ok {
		t.Fatalf("empty: Suggest = %q", region)
	}
}

// Only the first 64 national-looking numbers are tried: the cost is bounded
// however many rows a file rejects.
func TestRegionGuesserBounded(t *testing.T) {
	var g identifier.RegionGuesser
	for range 64 {
		g.Rejected("n/a") // not national-looking: not sampled
	}
	for range 64 {
		g.Rejected("06 12 34 56 78")
	}
	for range 1000 {
		g.Rejected("(415) 555-0100") // beyond the sample
	}
	if region, ok := g.Suggest("FR"); !ok || region != "FR" {
		t.Fatalf("Suggest = %q, %v", region, ok)
	}
}
