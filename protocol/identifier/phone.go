package identifier

import "github.com/nyaruka/phonenumbers"

const (
	// E.164 allows at most 15 digits; UID2 also requires at least 10
	// (UID2 operator, InputUtil.isPhoneNumberNormalized).
	minPhoneDigits = 10
	maxPhoneDigits = 15
	// maxPhoneLen bounds the formatted input handed to the phone library;
	// no real formatted number comes close.
	maxPhoneLen = 64
)

const (
	reasonNotE164       = "not in E.164 form and no default region"
	reasonFewDigits     = "fewer than 10 digits"
	reasonManyDigits    = "more than 15 digits"
	reasonZeroCC        = "country code starts with 0"
	reasonPhoneTooLong  = "longer than 64 bytes"
	reasonPhoneChar     = "character not allowed"
	reasonNotPhone      = "not a phone number"
	reasonInvalidNumber = "not a valid number for its country"
	reasonAmbiguous     = "valid in more than one territory of the default region"
)

// ReasonNotE164 is the Error.Reason of a phone number written without its
// country code and read without a default region: a caller may suggest one.
const ReasonNotE164 = reasonNotE164

// normalizePhone returns the E.164 form of the trimmed input s.
//
// One rule for every form: the number is read with libphonenumber's
// metadata and must be valid there (IsValidNumber), whether it is written
// in E.164 ("+33612345678"), international with separators
// ("+33 6 12 34 56 78", "+1 (415) 555-0100", no default region needed:
// the '+' names the country) or national ("06 12 34 56 78", which needs
// DefaultRegion). Validity, not mere possibility (IsPossibleNumber, a
// length check), because a possible-but-invalid reading is a different
// number: UID2's own example "65 1243 5678" read with region SG becomes the
// possible +656512435678. The cost is that a number from a range newer
// than the library's metadata is reported invalid, which is visible,
// instead of mismatched, which is not.
func (n Normalizer) normalizePhone(s string) (string, error) {
	switch {
	case s == "":
		return "", invalid(Phone, reasonEmpty)
	case s[0] == '+':
		return parseInternational(s)
	case n.DefaultRegion == "":
		// A national number cannot be turned into E.164 without knowing
		// its country, and we do not guess.
		return "", invalid(Phone, reasonNotE164)
	}
	return n.parseNational(s)
}

// parseInternational reads a number written with its country code. The
// digit-count rules of E.164 (and UID2's minimum of 10) come first, so that
// a short or long number gets the same reason whatever the metadata says.
func parseInternational(s string) (string, error) {
	if err := checkPhoneText(s); err != nil {
		return "", err
	}
	var digits [maxPhoneLen]byte
	d := digits[:0]
	for i := 1; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	if err := checkDigits(d); err != nil {
		return "", err
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return "", invalid(Phone, reasonNotPhone)
	}
	return validE164(num, s, nil)
}

// parseNational reads a number in the national format of n.DefaultRegion
// ("06 12 34 56 78", "(415) 555-0100", "0033 6 12 34 56 78").
//
// A number written nationally may belong to a territory that shares the
// region's national numbering plan (sharedPlan): France's overseas numbers
// are dialled "0690 12 34 56" from Paris although their country code is
// +590. Such a number is read as the territory's when it is valid there,
// even if the region's metadata also accepts it (libphonenumber reads
// "0596 30 12 34" as a valid +33 596 30 12 34, but ARCEP assigns 0596 to
// Martinique, +596): the territories' ranges are carved out of the plan, and
// their people are known to the other party by their own country code. A
// country code written out ("0033 ...") is taken as written.
func (n Normalizer) parseNational(s string) (string, error) {
	if err := checkPhoneText(s); err != nil {
		return "", err
	}
	if !knownRegion(n.DefaultRegion) {
		return "", ErrUnknownRegion
	}
	num, err := phonenumbers.ParseAndKeepRawInput(s, n.DefaultRegion)
	if err != nil {
		return "", invalid(Phone, reasonNotPhone)
	}
	if num.GetCountryCodeSource() == phonenumbers.PhoneNumber_FROM_DEFAULT_COUNTRY {
		territory, err := inTerritory(num, sharedPlan(n.DefaultRegion))
		if err != nil || territory != nil {
			return validE164(territory, s, err)
		}
	}
	return validE164(num, s, nil)
}

// inTerritory returns num, read in its default region, as a number of the
// one territory of territories where its national number is valid; nil
// when there is none. Territories sharing a country code (Réunion and
// Mayotte, +262) give one number; territories that would give different
// numbers are an error.
func inTerritory(num *phonenumbers.PhoneNumber, territories []string) (*phonenumbers.PhoneNumber, error) {
	var found *phonenumbers.PhoneNumber
	for _, region := range territories {
		cc := int32(phonenumbers.GetCountryCodeForRegion(region))
		candidate := &phonenumbers.PhoneNumber{
			CountryCode:          &cc,
			NationalNumber:       num.NationalNumber,
			ItalianLeadingZero:   num.ItalianLeadingZero,
			NumberOfLeadingZeros: num.NumberOfLeadingZeros,
		}
		if !phonenumbers.IsValidNumberForRegion(candidate, region) {
			continue
		}
		if found != nil && found.GetCountryCode() != cc {
			return nil, invalid(Phone, reasonAmbiguous)
		}
		found = candidate
	}
	return found, nil
}

// validE164 returns num in E.164 if it is valid, or err if not nil. s is
// the input: when it is already that E.164 form the result shares its
// memory.
func validE164(num *phonenumbers.PhoneNumber, s string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", invalid(Phone, reasonInvalidNumber)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if e164 == s {
		e164 = s
	}
	return checkE164(e164)
}

// checkPhoneText bounds the input and allows only ASCII digits, the usual
// separators and a leading '+': the library would also read letters as
// keypad digits and "ext. 12" as an extension, and a number guessed that
// way is not the person's number.
func checkPhoneText(s string) error {
	if len(s) > maxPhoneLen {
		return invalid(Phone, reasonPhoneTooLong)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9') && !(c == '+' && i == 0) && !isPhoneSeparator(c) {
			return invalid(Phone, reasonPhoneChar)
		}
	}
	return nil
}

// checkDigits applies the E.164 digit-count rules to the digits of a
// number, country code first.
func checkDigits(d []byte) error {
	switch {
	case len(d) < minPhoneDigits:
		return invalid(Phone, reasonFewDigits)
	case len(d) > maxPhoneDigits:
		return invalid(Phone, reasonManyDigits)
	case d[0] == '0':
		return invalid(Phone, reasonZeroCC)
	}
	return nil
}

// checkE164 applies the digit-count rules to s, a '+' followed by digits
// as the library formats a number.
func checkE164(s string) (string, error) {
	var digits [maxPhoneLen]byte
	if err := checkDigits(append(digits[:0], s[1:]...)); err != nil {
		return "", err
	}
	return s, nil
}

func isPhoneSeparator(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')'
}

// knownRegion reports whether the phone metadata has region (upper case).
func knownRegion(region string) bool {
	return phonenumbers.GetSupportedRegions()[region]
}
