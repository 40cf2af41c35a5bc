package identifier

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// The differential tests (validity_test.go) can only see the library's
// rules that its metadata exercises. With today's metadata, validity comes
// out the same whether or not a region's leading digits decide which
// region of a shared calling code judges a number, whether or not
// possible lengths are checked before the pattern, and whether or not
// mobile counts where mobile and fixed line share a pattern. These tests
// hold those copies of the library's code to its rules on made-up
// metadata, so that a metadata update that makes them matter finds them
// right.

// testMetadata is the metadata of a region of calling code 999 whose
// numbers are three digits (general), fixed-line numbers start with
// fixed and mobile numbers with mobile; every other type is "NA".
func testMetadata(id, leadingDigits, fixed, mobile string, sameMobileAndFixed bool) *phonenumbers.PhoneMetadata {
	desc := func(pattern string, lengths ...int32) *phonenumbers.PhoneNumberDesc {
		return &phonenumbers.PhoneNumberDesc{NationalNumberPattern: &pattern, PossibleLength: lengths}
	}
	na := desc("NA")
	cc := int32(999)
	return &phonenumbers.PhoneMetadata{
		Id:                            &id,
		CountryCode:                   &cc,
		LeadingDigits:                 &leadingDigits,
		SameMobileAndFixedLinePattern: &sameMobileAndFixed,
		GeneralDesc:                   desc(`\d{3,4}`, 3, 4),
		FixedLine:                     desc(fixed+`\d+`, 3),
		Mobile:                        desc(mobile + `\d\d`),
		TollFree:                      na, PremiumRate: na, SharedCost: na, PersonalNumber: na,
		Voip: na, Pager: na, Uan: na, Voicemail: na,
	}
}

func testValidator(t *testing.T, mds ...*phonenumbers.PhoneMetadata) *phoneValidator {
	t.Helper()
	v := &phoneValidator{regions: map[string]*regionPlan{}, callingCodes: map[int32][]*regionPlan{}}
	for _, md := range mds {
		plan := newRegionPlan(md)
		if plan == nil {
			t.Fatalf("metadata %s did not compile", md.GetId())
		}
		v.regions[md.GetId()] = plan
		v.callingCodes[md.GetCountryCode()] = append(v.callingCodes[md.GetCountryCode()], plan)
	}
	return v
}

func testNumber(nn uint64) *phonenumbers.PhoneNumber {
	cc := int32(999)
	return &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &nn}
}

// getRegionCodeForNumberFromRegionList: a region whose leading digits
// match a number is the number's region, valid there or not; a region
// without leading digits is the number's region only if valid there.
func TestPhoneValidityLeadingDigitsDecideRegion(t *testing.T) {
	v := testValidator(t,
		testMetadata("XA", "5", "6", "7", false),
		testMetadata("XB", "", "5", "8", false))
	cases := []struct {
		nn    uint64
		valid bool
	}{
		{512, false}, // XA's leading digits claim it; XB would accept it
		{612, false}, // XA would accept it, its leading digits do not claim it
		{812, true},  // XB accepts it
	}
	for _, c := range cases {
		if got := v.isValid(testNumber(c.nn)); got != c.valid {
			t.Errorf("%d: valid = %v, want %v", c.nn, got, c.valid)
		}
	}
	if !v.isValidForRegion(testNumber(512), "XB") || !v.isValidForRegion(testNumber(612), "XA") {
		t.Error("IsValidNumberForRegion must judge in the region asked, whatever the leading digits")
	}
}

// isNumberPossibleForDesc: a description's possible lengths, when listed,
// bound its pattern (fixed line: 3 digits, although its pattern and the
// general description allow 4); none listed means any.
func TestPhoneValidityPossibleLengths(t *testing.T) {
	v := testValidator(t, testMetadata("XA", "", "6", "7", false))
	for nn, valid := range map[uint64]bool{612: true, 6123: false, 712: true} {
		if got := v.isValid(testNumber(nn)); got != valid {
			t.Errorf("%d: valid = %v, want %v", nn, got, valid)
		}
	}
}

// getNumberTypeHelper: where mobile and fixed line share a pattern, the
// mobile description is tested only after fixed line matched, so a
// number that only it matches is not valid.
func TestPhoneValiditySameMobileAndFixedLine(t *testing.T) {
	for same, valid := range map[bool]bool{true: false, false: true} {
		v := testValidator(t, testMetadata("XA", "", "6", "7", same))
		if got := v.isValid(testNumber(712)); got != valid {
			t.Errorf("same mobile and fixed-line pattern %v: valid = %v, want %v", same, got, valid)
		}
		if !v.isValid(testNumber(612)) {
			t.Errorf("same mobile and fixed-line pattern %v: fixed-line number not valid", same)
		}
	}
}
