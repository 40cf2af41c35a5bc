package identifier

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

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
// metadata and must be valid there (IsValidNumber) and not all zeros
// (validE164), whether it is written
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
	var digits [maxPhoneLen]byte
	d, err := internationalDigits(s, digits[:0])
	if err != nil {
		return "", err
	}
	num, err := numberFromDigits(s, d)
	return validE164(num, s, err)
}

// internationalDigits checks the text of s, a number written with '+',
// and appends its digits (after the '+') to d.
func internationalDigits(s string, d []byte) ([]byte, error) {
	if err := checkPhoneText(s); err != nil {
		return nil, err
	}
	for i := 1; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	return d, checkDigits(d)
}

// numberFromDigits returns the number that phonenumbers.Parse(s, "") reads
// from s, whose text passed checkPhoneText and whose digits d passed
// checkDigits, without Parse's regular expressions in the common case.
//
// Parse was about three quarters of the cost of an E.164 number
// (BenchmarkPhoneInternational against ...ByParse; validation was most of
// the rest), spent mostly in regular expressions for what checkPhoneText
// already refused (letters, extensions, RFC 3966 parameters, non-ASCII
// digits, a second '+'). On the text left, Parse strips the '+' and the
// separators, takes the shortest prefix of the digits that is a country
// calling code of the metadata (extractCountryCode: calling codes are
// prefix-free), and then may strip a national prefix or carrier code from
// the rest (maybeStripNationalPrefixAndCarrierCode), which it does only if
// the metadata's national_prefix_for_parsing matches the start of the
// national number. When it does not match, the number is the calling
// code and the rest, built here as Parse builds it; when it does
// ("+33 0 6 12 34 56 78"), Parse itself reads s. The differential tests
// and FuzzInternationalFastPath hold this equal to Parse for every input;
// they are what tells, when the library is upgraded, whether Parse still
// reads such text this way.
func numberFromDigits(s string, d []byte) (*phonenumbers.PhoneNumber, error) {
	codes := callingCodes()
	if codes == nil {
		return parseWithLibrary(s)
	}
	cc, code, nsn, ok := splitCallingCode(codes, d)
	switch {
	case !ok:
		// Parse's error for a calling code the metadata does not know.
		return nil, invalid(Phone, reasonNotPhone)
	case code.mayHaveNationalPrefix(nsn):
		return parseWithLibrary(s)
	}
	return nationalNumber(int32(cc), nsn), nil
}

// splitCallingCode returns the country calling code at the start of the
// digits d as Parse finds it (extractCountryCode: the shortest prefix the
// metadata knows), its metadata and the national significant number after
// it; ok is false when the metadata knows none.
func splitCallingCode(codes map[int]callingCode, d []byte) (cc int, code callingCode, nsn []byte, ok bool) {
	for n := 1; n <= maxCallingCodeDigits && n <= len(d); n++ {
		cc = int(atoi(d[:n]))
		if code, ok = codes[cc]; ok {
			return cc, code, d[n:], true
		}
	}
	return 0, callingCode{}, nil, false
}

// parseWithLibrary reads s with phonenumbers.Parse, without a default
// region: s starts with '+'.
func parseWithLibrary(s string) (*phonenumbers.PhoneNumber, error) {
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return nil, invalid(Phone, reasonNotPhone)
	}
	return num, nil
}

// nationalNumber builds the number of calling code cc and national
// significant number nsn (digits) as Parse does: the digits as an integer,
// and the zeros that integer loses kept as ItalianLeadingZero and
// NumberOfLeadingZeros (setItalianLeadingZerosForPhoneNumber), so that
// formatting gives the digits back.
func nationalNumber(cc int32, nsn []byte) *phonenumbers.PhoneNumber {
	num := &phonenumbers.PhoneNumber{CountryCode: &cc}
	nn := atoi(nsn)
	num.NationalNumber = &nn
	if len(nsn) >= 2 && nsn[0] == '0' {
		leadingZero := true
		num.ItalianLeadingZero = &leadingZero
		// An all-zero number keeps its last zero as the number itself.
		zeros := int32(1)
		for int(zeros) < len(nsn)-1 && nsn[zeros] == '0' {
			zeros++
		}
		if zeros != 1 {
			num.NumberOfLeadingZeros = &zeros
		}
	}
	return num
}

// atoi returns the value of d, at most 15 ASCII digits.
func atoi(d []byte) uint64 {
	var v uint64
	for _, c := range d {
		v = v*10 + uint64(c-'0')
	}
	return v
}

// maxCallingCodeDigits is the length of the longest country calling code
// (E.164; the library's MAX_LENGTH_COUNTRY_CODE).
const maxCallingCodeDigits = 3

// callingCode is what numberFromDigits needs of the metadata of one
// country calling code.
type callingCode struct {
	// nationalPrefix is the metadata's national_prefix_for_parsing,
	// anchored as Parse anchors it; nil when the country has none.
	nationalPrefix *regexp.Regexp
}

// mayHaveNationalPrefix reports whether Parse would try to strip a
// national prefix or carrier code from nsn: only then is Parse needed.
func (c callingCode) mayHaveNationalPrefix(nsn []byte) bool {
	return c.nationalPrefix != nil && c.nationalPrefix.Match(nsn)
}

// matchesEverything stands for a national prefix pattern that does not
// compile: every number of that calling code goes to Parse.
var matchesEverything = regexp.MustCompile(``)

// callingCodes maps every country calling code of the phone metadata to
// its callingCode, built once from the library's own metadata (the
// region Parse uses for a calling code is GetRegionCodeForCountryCode's;
// non-geographical codes, region "001", have metadata of their own). Nil
// if the library cannot give its metadata, and then Parse reads every
// number.
var callingCodes = sync.OnceValue(func() map[int]callingCode {
	collection, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil
	}
	regions := make(map[string]*phonenumbers.PhoneMetadata)
	nonGeographical := make(map[int32]*phonenumbers.PhoneMetadata)
	for _, md := range collection.GetMetadata() {
		if md.GetId() == nonGeographicalRegion {
			nonGeographical[md.GetCountryCode()] = md
		} else {
			regions[md.GetId()] = md
		}
	}
	codes := make(map[int]callingCode)
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		md := regions[phonenumbers.GetRegionCodeForCountryCode(cc)]
		if md == nil {
			md = nonGeographical[int32(cc)]
		}
		var code callingCode
		if prefix := md.GetNationalPrefixForParsing(); prefix != "" {
			code.nationalPrefix, err = regexp.Compile("^(?:" + prefix + ")")
			if err != nil {
				code.nationalPrefix = matchesEverything
			}
		}
		codes[cc] = code
	}
	return codes
})

// nonGeographicalRegion is the metadata's region of calling codes that
// belong to no country (+800, +882, ...).
const nonGeographicalRegion = "001"

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
// one territory of territories where its national number is valid
// (phonenumbers.IsValidNumberForRegion, answered by phoneValidity); nil
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
		if !phoneValidity().isValidForRegion(candidate, region) {
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
// memory. Valid is phonenumbers.IsValidNumber's answer, given by
// phoneValidity without the library's per-call cost (validity.go).
func validE164(num *phonenumbers.PhoneNumber, s string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	// An all-zero significant number is a placeholder (a CRM's "no
	// phone"), not a person's number, though the metadata of a few plans
	// (+800, +881, +888, +992) calls it valid; phonenumbers.Format would
	// also give it back as the raw text typed, not in E.164.
	if num.GetNationalNumber() == 0 || !phoneValidity().isValid(num) {
		return "", invalid(Phone, reasonInvalidNumber)
	}
	e164 := appendE164(make([]byte, 0, 1+3+phonenumbers.MAX_LENGTH_FOR_NSN), num)
	if string(e164) == s {
		return checkE164(s)
	}
	return checkE164(string(e164))
}

// appendE164 appends the E.164 form of num, a valid number whose national
// number is not 0, to dst: what phonenumbers.Format(num, E164) gives it
// ('+', the calling code, the national significant number), without Format's per-call cost
// (its own copy of the significant number and a string builder), which
// was a third of a valid number's validation after validity.go.
func appendE164(dst []byte, num *phonenumbers.PhoneNumber) []byte {
	dst = append(dst, '+')
	dst = strconv.AppendInt(dst, int64(num.GetCountryCode()), 10)
	return appendNationalSignificantNumber(dst, num)
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
