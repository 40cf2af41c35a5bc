package identifier

import (
	"fmt"

	"github.com/nyaruka/phonenumbers"
)

// ParseInternational is the production reading of a number written with
// '+', for the differential tests.
var ParseInternational = parseInternational

// ParseInternationalByLibrary is the reference parseInternational is held
// to: the same checks, then every number read by phonenumbers.Parse (the
// path before numberFromDigits existed).
func ParseInternationalByLibrary(s string) (string, error) {
	var digits [maxPhoneLen]byte
	if _, err := internationalDigits(s, digits[:0]); err != nil {
		return "", err
	}
	num, err := parseWithLibrary(s)
	return validE164(num, s, err)
}

// CompareNumberWithParse checks, for an s whose text and digits pass the
// checks, that numberFromDigits builds field for field the number Parse
// reads (or fails as Parse fails). It returns whether the number was built
// without Parse, and a description of any difference.
func CompareNumberWithParse(s string) (fast bool, diff string) {
	var digits [maxPhoneLen]byte
	d, err := internationalDigits(s, digits[:0])
	if err != nil {
		return false, ""
	}
	_, code, nsn, known := splitCallingCode(callingCodes(), d)
	fast = known && !code.mayHaveNationalPrefix(nsn)
	got, gotErr := numberFromDigits(s, d)
	want, wantErr := parseWithLibrary(s)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		return fast, fmt.Sprintf("error %v, Parse: %v", gotErr, wantErr)
	}
	if g, w := describeNumber(got), describeNumber(want); g != w {
		return fast, fmt.Sprintf("number %s, Parse: %s", g, w)
	}
	return fast, ""
}

func describeNumber(num *phonenumbers.PhoneNumber) string {
	if num == nil {
		return "nil"
	}
	return fmt.Sprintf("cc=%s nn=%s ext=%s italian=%s zeros=%s raw=%s source=%s carrier=%s",
		show(num.CountryCode), show(num.NationalNumber), show(num.Extension), show(num.ItalianLeadingZero),
		show(num.NumberOfLeadingZeros), show(num.RawInput), show(num.CountryCodeSource), show(num.PreferredDomesticCarrierCode))
}

func show[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// IsValidNumber and IsValidNumberForRegion are the production validator's
// answers to the library's questions of the same names, for the
// differential tests.
func IsValidNumber(num *phonenumbers.PhoneNumber) bool { return phoneValidity().isValid(num) }

func IsValidNumberForRegion(num *phonenumbers.PhoneNumber, region string) bool {
	return phoneValidity().isValidForRegion(num, region)
}

// E164 is what normalization writes for a valid num, to compare with
// phonenumbers.Format(num, E164).
func E164(num *phonenumbers.PhoneNumber) string { return string(appendE164(nil, num)) }

// PhoneValidatorCompiled reports whether the validator compiled the
// metadata: if not, it asks the library, and comparing it with the library
// would prove nothing.
func PhoneValidatorCompiled() bool { return phoneValidity() != nil }
