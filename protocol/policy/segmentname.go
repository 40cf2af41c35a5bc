package policy

import "errors"

// A segment name is shown to both parties: the advertiser declares it, the
// clean room stores it in the session and the policy, and the media
// partner sees it when it reviews the session and in activation.csv. It is
// meant to say what the segment means ("churn_risk"), never who is in it.
// An advertiser that creates a session from the wrong column of its file
// (`session create --segments-from crm.csv --segments-column email_sha256`)
// would otherwise hand its customers' identifiers to the partner as
// segment names. CheckSegmentName is the one rule, applied by the clean
// room to every session and policy it accepts and by the party tools
// before they send anything.
//
// A name must be 1..64 characters of A-Z a-z 0-9 _ . - (so it can hold no
// '@', '+', '/', '=' or space: no e-mail address, E.164 number or padded
// base64), and must not look like an identifier or a digest:
//
//   - hex: a run of 16 or more hex digits (0-9 a-f A-F), as in a SHA-256,
//     MD5 or other hash in hex, or a long number;
//   - base64: a run of 20 or more characters of the base64url alphabet
//     (A-Z a-z 0-9 - _) that mixes upper-case letters, lower-case letters
//     and digits, as an unpadded or URL-safe base64 digest does (a 16-byte
//     value is 22 such characters);
//   - phone number or numeric id: a run of 9 or more digits, or 7 or more
//     digits making up at least two thirds of the name ("06.12.34.56.78");
//   - UUID (a mobile advertising id): 8-4-4-4-12 hex digits joined by '-'.
//
// The rule is a guard against mistakes, not against an advertiser set on
// leaking its own data: names can always spell out anything in words.
// Legitimate names keep to words, snake_case and short numbers
// ("high_value_2024", "q3-buyers", "tier.gold"); a mixed-case name of 20
// or more letters with digits ("HighValueCustomers2024") is refused as
// base64-like, and snake_case fixes it.
const (
	minHexRun       = 16
	minBase64Run    = 20
	minDigitRun     = 9
	minDigitsInName = 7
)

// ErrSegmentName is wrapped by every *SegmentNameError.
var ErrSegmentName = errors.New("policy: unusable segment name")

// SegmentNameError says why a name cannot name a segment. Reason never
// quotes the name: it may be an identifier.
type SegmentNameError struct {
	Reason string
}

func (e *SegmentNameError) Error() string { return "policy: segment name " + e.Reason }

func (e *SegmentNameError) Unwrap() error { return ErrSegmentName }

// Reasons of SegmentNameError.
const (
	reasonSegmentForm = "must be 1..64 characters of A-Z a-z 0-9 _ . -"
	reasonLooksLike   = "looks like an identifier or a digest ("
	reasonFix         = "), not a segment label: name segments by what they mean, in words (e.g. churn_risk, high_value_2024)"
)

// CheckSegmentName returns nil if name may name a segment, else a
// *SegmentNameError saying why not.
func CheckSegmentName(name string) error {
	if reason := segmentNameProblem(name); reason != "" {
		return &SegmentNameError{reason}
	}
	return nil
}

// segmentNameProblem is the Reason CheckSegmentName gives, or "".
func segmentNameProblem(name string) string {
	if len(name) == 0 || len(name) > MaxSegmentName {
		return reasonSegmentForm
	}
	for i := 0; i < len(name); i++ {
		if !segmentNameChar(name[i]) {
			return reasonSegmentForm
		}
	}
	if what := identifierShape(name); what != "" {
		return reasonLooksLike + what + reasonFix
	}
	return ""
}

// ValidSegmentName reports whether CheckSegmentName accepts name.
func ValidSegmentName(name string) bool { return CheckSegmentName(name) == nil }

func segmentNameChar(c byte) bool {
	return isLetter(c) || isDigit(c) || c == '_' || c == '.' || c == '-'
}

// identifierShape names the identifier or digest shape name has, or
// returns "". name holds only segment name characters.
func identifierShape(name string) string {
	switch {
	case hasUUID(name):
		return "a UUID"
	case longestRun(name, isHex) >= minHexRun:
		return "a long hex string"
	case hasBase64Run(name):
		return "a base64 string"
	}
	digits := 0
	for i := 0; i < len(name); i++ {
		if isDigit(name[i]) {
			digits++
		}
	}
	if longestRun(name, isDigit) >= minDigitRun || digits >= minDigitsInName && 3*digits >= 2*len(name) {
		return "a phone number or a numeric id"
	}
	return ""
}

// longestRun is the length of the longest run of characters in that.
func longestRun(s string, in func(byte) bool) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if in(s[i]) {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// hasBase64Run reports whether s has a run of minBase64Run or more
// base64url characters with an upper-case letter, a lower-case letter and
// a digit.
func hasBase64Run(s string) bool {
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isBase64URL(s[i]) {
			continue
		}
		if run := s[start:i]; len(run) >= minBase64Run && mixesClasses(run) {
			return true
		}
		start = i + 1
	}
	return false
}

func mixesClasses(s string) bool {
	var upper, lower, digit bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		upper = upper || c >= 'A' && c <= 'Z'
		lower = lower || c >= 'a' && c <= 'z'
		digit = digit || isDigit(c)
	}
	return upper && lower && digit
}

// uuidGroups are the hex digit counts of a UUID's '-'-separated groups.
var uuidGroups = [...]int{8, 4, 4, 4, 12}

// hasUUID reports whether s contains 8-4-4-4-12 hex digits joined by '-'.
func hasUUID(s string) bool {
	const size = 36
	for i := 0; i+size <= len(s); i++ {
		if isUUID(s[i : i+size]) {
			return true
		}
	}
	return false
}

func isUUID(s string) bool {
	pos := 0
	for g, n := range uuidGroups {
		if g > 0 {
			if s[pos] != '-' {
				return false
			}
			pos++
		}
		for range n {
			if !isHex(s[pos]) {
				return false
			}
			pos++
		}
	}
	return true
}

func isLetter(c byte) bool    { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isHex(c byte) bool       { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isBase64URL(c byte) bool { return isLetter(c) || isDigit(c) || c == '-' || c == '_' }
