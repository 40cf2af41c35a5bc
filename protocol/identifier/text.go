package identifier

import (
	"unicode"
	"unicode/utf8"
)

// Reasons for characters that make an identifier unusable whatever its type.
const (
	reasonSpace       = "contains white space"
	reasonControl     = "contains a control character"
	reasonFormat      = "contains an invisible formatting character"
	reasonBadUTF8     = "invalid UTF-8"
	reasonReplacement = "contains U+FFFD (text damaged by a wrong encoding)"
)

// scanText checks every character of s. ASCII bytes must satisfy allowed
// (else notAllowed is the reason); other characters must be valid UTF-8 and
// visible. It reports whether s holds an ASCII upper-case letter, so callers
// can skip the copy when nothing needs lowering.
//
// Non-ASCII text is kept because UID2 keeps it (internationalized
// addresses), but white space, control and formatting characters (zero-width
// space, byte order mark) are rejected: they come from copy-paste or broken
// exports and would yield a digest that silently matches nobody.
func scanText(s string, allowed func(byte) bool, notAllowed string) (upper bool, reason string) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case isASCIISpace(c):
				return false, reasonSpace
			case c < 0x20 || c == 0x7f:
				return false, reasonControl
			case !allowed(c):
				return false, notAllowed
			}
			upper = upper || ('A' <= c && c <= 'Z')
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return false, reasonBadUTF8
		case r == utf8.RuneError:
			return false, reasonReplacement
		case unicode.IsSpace(r):
			return false, reasonSpace
		case unicode.Is(unicode.Cc, r):
			return false, reasonControl
		case unicode.Is(unicode.Cf, r):
			return false, reasonFormat
		}
		i += size
	}
	return upper, ""
}

func isASCIISpace(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r')
}

func isASCIIAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

func isASCIIDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// unhex decodes one hexadecimal digit of either case.
func unhex(c byte) (v byte, upper, ok bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', false, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, false, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true, true
	}
	return 0, false, false
}
