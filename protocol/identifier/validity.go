package identifier

import (
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The rule for a phone number is the library's: it must be valid in
// libphonenumber's metadata (phonenumbers.IsValidNumber, and
// IsValidNumberForRegion for a territory of a shared numbering plan). What
// this file changes is the cost of asking. For each number-type
// description it tests, the library builds the anchored pattern as a new
// string, looks it up in a mutex-guarded cache keyed by that string and
// runs the same regular expression twice; it tests up to eleven
// descriptions per region, and for a calling code shared by several
// regions (+1, +7, +44) it validates the number once to find its region
// and again in it. That overhead, not the matching, was most of the ~10%
// of each party's CPU that phone numbers cost in a three-key run.
//
// phoneValidator holds the same metadata with every pattern compiled once
// and answers the same questions with one allocation, running each
// pattern at most once, validating a number of a shared calling code once,
// and skipping the descriptions of types a region does not have. The
// differential tests of validity_test.go and FuzzPhoneValidity hold its
// answers equal to the library's on every region and number type; they
// are what tells, when the library is upgraded, whether its rules
// changed. validity_rules_test.go holds the copies of the library's rules
// that today's metadata does not exercise.

// phoneValidator answers phonenumbers.IsValidNumber and
// IsValidNumberForRegion from metadata compiled once. A nil
// *phoneValidator (metadata the library could not give, or not shaped as
// the library's code expects) asks the library itself.
type phoneValidator struct {
	// regions holds the regions the library supports
	// (GetSupportedRegions) that have metadata, by region code.
	regions map[string]*regionPlan
	// callingCodes lists, per country calling code, its regions in the
	// library's order (GetRegionCodesForCountryCode): the first region
	// that claims a number is the number's region.
	callingCodes map[int32][]*regionPlan
	// nonGeographical holds the plan of each calling code that belongs to
	// no region (+800, +882, ...; region "001").
	nonGeographical map[int32]*regionPlan
}

// regionPlan is the numbering plan of one region (or non-geographical
// calling code) as the library's validation reads it.
type regionPlan struct {
	countryCode int32
	// leadingDigits, when the metadata has it, decides alone whether a
	// number of a shared calling code belongs to this region
	// (getRegionCodeForNumberFromRegionList); nil means validity does.
	leadingDigits *regexp.Regexp
	general       numberDesc
	// types are the descriptions of which one must match, with general,
	// for the number to be valid: getNumberTypeHelper returns a type other
	// than UNKNOWN exactly when general and one of these match. Mobile is
	// left out when the metadata says mobile and fixed-line patterns are
	// the same: the library then tests mobile only after fixed line
	// matched, so mobile alone never makes a number valid there. So are
	// the descriptions that cannot match a number (matchesDigits).
	types []numberDesc
}

// numberDesc is one PhoneNumberDesc: its national number pattern anchored
// as the library anchors it, and its possible lengths (none: any length).
type numberDesc struct {
	pattern *regexp.Regexp
	lengths []int32
}

// matches is the library's isNumberMatchingDesc: the length is one of the
// possible lengths, if any are listed, and the whole number matches the
// pattern (which the library tests twice).
func (d *numberDesc) matches(nsn []byte) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.pattern.Match(nsn)
}

// valid is getNumberTypeHelper(nsn, plan) != UNKNOWN.
func (p *regionPlan) valid(nsn []byte) bool {
	if !p.general.matches(nsn) {
		return false
	}
	for i := range p.types {
		if p.types[i].matches(nsn) {
			return true
		}
	}
	return false
}

// claims reports whether the number of national significant number nsn,
// of a calling code this region shares, belongs to this region
// (getRegionCodeForNumberFromRegionList), and whether it is valid here;
// the second answer is free when validity decided the first.
func (p *regionPlan) claims(nsn []byte) (claimed, valid bool) {
	if p.leadingDigits != nil {
		if !p.leadingDigits.Match(nsn) {
			return false, false
		}
		return true, p.valid(nsn)
	}
	valid = p.valid(nsn)
	return valid, valid
}

// isValid answers phonenumbers.IsValidNumber(num): num is valid in the
// region GetRegionCodeForNumber gives it.
func (v *phoneValidator) isValid(num *phonenumbers.PhoneNumber) bool {
	if v == nil {
		return phonenumbers.IsValidNumber(num)
	}
	cc := num.GetCountryCode()
	plans := v.callingCodes[cc]
	if len(plans) == 0 {
		// A calling code of no region is non-geographical, or unknown.
		return v.isValidForRegion(num, nonGeographicalRegion)
	}
	nsn := nationalSignificantNumber(num)
	if len(plans) == 1 {
		return plans[0].countryCode == cc && plans[0].valid(nsn)
	}
	for _, plan := range plans {
		if claimed, valid := plan.claims(nsn); claimed {
			return plan.countryCode == cc && valid
		}
	}
	return false
}

// isValidForRegion answers phonenumbers.IsValidNumberForRegion(num,
// region): region's metadata has num's calling code and num is valid in
// it.
func (v *phoneValidator) isValidForRegion(num *phonenumbers.PhoneNumber, region string) bool {
	if v == nil {
		return phonenumbers.IsValidNumberForRegion(num, region)
	}
	cc := num.GetCountryCode()
	var plan *regionPlan
	if region == nonGeographicalRegion {
		plan = v.nonGeographical[cc]
	} else {
		plan = v.regions[region]
	}
	return plan != nil && plan.countryCode == cc && plan.valid(nationalSignificantNumber(num))
}

// nationalSignificantNumber returns GetNationalSignificantNumber(num) as
// bytes. This is the one allocation of a validation: regexp keeps its
// input where escape analysis cannot follow.
func nationalSignificantNumber(num *phonenumbers.PhoneNumber) []byte {
	return appendNationalSignificantNumber(make([]byte, 0, phonenumbers.MAX_LENGTH_FOR_NSN+20), num)
}

// appendNationalSignificantNumber appends GetNationalSignificantNumber(num)
// to dst: the leading zeros the national number lost (at most
// MAX_LENGTH_FOR_NSN, as the library bounds them), then the national
// number's decimal digits.
func appendNationalSignificantNumber(dst []byte, num *phonenumbers.PhoneNumber) []byte {
	if num.GetItalianLeadingZero() {
		for range min(max(num.GetNumberOfLeadingZeros(), 0), phonenumbers.MAX_LENGTH_FOR_NSN) {
			dst = append(dst, '0')
		}
	}
	return strconv.AppendUint(dst, num.GetNationalNumber(), 10)
}

// phoneValidity is the validator of the library's metadata, built on
// first use; nil if the library cannot give its metadata or the metadata
// is not shaped as the library's code expects (then the library answers).
var phoneValidity = sync.OnceValue(newPhoneValidator)

// newPhoneValidator compiles the library's metadata. It gives up (nil)
// where the library's own code would behave in a way this one does not
// copy: a region of a calling code without metadata, a missing
// description, a pattern that does not compile.
func newPhoneValidator() *phoneValidator {
	collection, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil
	}
	v := &phoneValidator{
		regions:         make(map[string]*regionPlan),
		callingCodes:    make(map[int32][]*regionPlan),
		nonGeographical: make(map[int32]*regionPlan),
	}
	supported := phonenumbers.GetSupportedRegions()
	for _, md := range collection.GetMetadata() {
		plan := newRegionPlan(md)
		if plan == nil {
			return nil
		}
		cc := md.GetCountryCode()
		switch {
		case md.GetId() == nonGeographicalRegion:
			// The library looks these up only for a calling code it
			// knows (getMetadataForNonGeographicalRegion).
			if len(phonenumbers.GetRegionCodesForCountryCode(int(cc))) > 0 {
				v.nonGeographical[cc] = plan
			}
		case supported[md.GetId()]:
			v.regions[md.GetId()] = plan
		}
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		regions := phonenumbers.GetRegionCodesForCountryCode(cc)
		if len(regions) == 1 && regions[0] == nonGeographicalRegion {
			continue
		}
		plans := make([]*regionPlan, len(regions))
		for i, region := range regions {
			if plans[i] = v.regions[region]; plans[i] == nil {
				return nil
			}
		}
		v.callingCodes[int32(cc)] = plans
	}
	return v
}

// newRegionPlan compiles the metadata of one region, or returns nil.
func newRegionPlan(md *phonenumbers.PhoneMetadata) *regionPlan {
	plan := &regionPlan{countryCode: md.GetCountryCode()}
	if ld := md.GetLeadingDigits(); ld != "" {
		var err error
		if plan.leadingDigits, err = regexp.Compile("^(?:" + ld + ")"); err != nil {
			return nil
		}
	}
	general, ok := newNumberDesc(md.GetGeneralDesc())
	if !ok {
		return nil
	}
	plan.general = general
	// Fixed line and mobile first: most numbers are one of them, and the
	// first match settles validity.
	types := []*phonenumbers.PhoneNumberDesc{md.GetFixedLine()}
	if !md.GetSameMobileAndFixedLinePattern() {
		types = append(types, md.GetMobile())
	}
	types = append(types, md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
		md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail())
	for _, d := range types {
		desc, ok := newNumberDesc(d)
		if !ok {
			return nil
		}
		if desc.matchesDigits() {
			plan.types = append(plan.types, desc)
		}
	}
	return plan
}

// matchesDigits reports whether d's pattern could match a national
// significant number, which is all ASCII digits: false for the metadata's
// "NA", its pattern for a type the region does not have (most of them),
// which the library tests on every number all the same.
func (d *numberDesc) matchesDigits() bool {
	prefix, _ := d.pattern.LiteralPrefix()
	for i := 0; i < len(prefix); i++ {
		if prefix[i] < '0' || '9' < prefix[i] {
			return false
		}
	}
	return true
}

// newNumberDesc compiles d; ok is false when d is missing, where the
// library would dereference nil, or its pattern does not compile, where
// the library would panic.
func newNumberDesc(d *phonenumbers.PhoneNumberDesc) (desc numberDesc, ok bool) {
	if d == nil {
		return numberDesc{}, false
	}
	pattern, err := regexp.Compile("^(?:" + d.GetNationalNumberPattern() + ")$")
	if err != nil {
		return numberDesc{}, false
	}
	return numberDesc{pattern: pattern, lengths: d.GetPossibleLength()}, true
}
