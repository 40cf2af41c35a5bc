package identifier

import "github.com/nyaruka/phonenumbers"

const (
	// E.164 allows at most 15 digits; UID2 also requires at least 10
	// (UID2 operator, InputUtil.isPhoneNumberNormalized).
	minPhoneDigits = 10
	maxPhoneDigits = 15
	// maxNationalLen bounds the formatted input handed to the phone library;
	// no real formatted number comes close.
	maxNationalLen = 64
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
)

// normalizePhone returns the E.164 form of the trimmed input s.
func (n Normalizer) normalizePhone(s string) (string, error) {
	if s == "" {
		return "", invalid(Phone, reasonEmpty)
	}
	if s[0] == '+' && isASCIIDigits(s[1:]) {
		// Already E.164: checked by syntax alone, as UID2 does, so the
		// result never depends on DefaultRegion or on metadata versions.
		return checkE164(s)
	}
	if n.DefaultRegion == "" {
		return "", invalid(Phone, reasonNotE164)
	}
	return n.parseNational(s)
}

// parseNational converts a formatted number ("06 12 34 56 78",
// "(415) 555-0100", "+33 6 12 34 56 78") to E.164 with libphonenumber.
//
// Only digits, spaces, "-./()" and a leading '+' are allowed: the library
// would also read letters as keypad digits and "ext. 12" as an extension,
// and a number guessed that way is not the person's number.
//
// The parsed number must be valid (IsValidNumber), not merely possible
// (IsPossibleNumber, a length check): with the wrong country or a country
// code written without '+', a possible-but-invalid parse is a different
// number. UID2's own example "65 1243 5678" read with region SG becomes the
// possible +656512435678; validity rejects it. The cost is that a number
// from a range newer than the library's metadata is reported invalid, which
// is visible, instead of mismatched, which is not.
func (n Normalizer) parseNational(s string) (string, error) {
	if len(s) > maxNationalLen {
		return "", invalid(Phone, reasonPhoneTooLong)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9') && !(c == '+' && i == 0) && !isPhoneSeparator(c) {
			return "", invalid(Phone, reasonPhoneChar)
		}
	}
	if !knownRegion(n.DefaultRegion) {
		return "", ErrUnknownRegion
	}
	num, err := phonenumbers.Parse(s, n.DefaultRegion)
	if err != nil {
		return "", invalid(Phone, reasonNotPhone)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", invalid(Phone, reasonInvalidNumber)
	}
	return checkE164(phonenumbers.Format(num, phonenumbers.E164))
}

// checkE164 applies the digit-count rule to s, a '+' followed by digits.
func checkE164(s string) (string, error) {
	switch digits := len(s) - 1; {
	case digits < minPhoneDigits:
		return "", invalid(Phone, reasonFewDigits)
	case digits > maxPhoneDigits:
		return "", invalid(Phone, reasonManyDigits)
	case s[1] == '0':
		return "", invalid(Phone, reasonZeroCC)
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
