package identifier

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	// maxEmailLen is the longest address SMTP can carry: a 256-octet path
	// minus its angle brackets (RFC 5321 section 4.5.3.1.3).
	maxEmailLen = 254
	// maxLocalLen is the RFC 5321 section 4.5.3.1.1 limit on the local part.
	maxLocalLen = 64
	gmailDomain = "gmail.com"
)

const (
	reasonEmailTooLong = "longer than 254 bytes"
	reasonNoAt         = "missing '@'"
	reasonManyAt       = "more than one '@'"
	reasonEmptyLocal   = "empty local part"
	reasonEmptyDomain  = "empty domain"
	reasonLocalTooLong = "local part longer than 64 bytes"
	reasonLocalChar    = "character not allowed in local part"
	reasonDomainChar   = "character not allowed in domain"
	reasonDomainNoDot  = "domain has no '.'"
	reasonDomainLabel  = "domain has an empty label"
	reasonGmailEmpty   = "local part empty after gmail.com normalization"
)

// normalizeEmail applies the UID2 email rules to the trimmed input s:
// lower-case ASCII letters (only: UID2's operator lowers A-Z and nothing
// else, and so must we for digests to agree), and for gmail.com only remove
// every '.' of the local part and drop a '+' and everything after it.
//
// Non-ASCII input is first put in Unicode Normalization Form C, so that an
// "é" typed as one character (U+00E9) and one exported as "e" plus a
// combining accent (U+0065 U+0301, what macOS file names and some web
// forms produce) give one address and one digest. The result is put in NFC
// again: lowering "J" before a combining caron, or removing a gmail.com dot
// before a combining mark, can make a composable pair. UID2 says nothing of
// Unicode forms; composed text is what keyboards and almost every system
// produce, so NFC keeps digests equal to UID2's for such addresses, and
// ASCII-only addresses are unchanged by it. Non-ASCII letters keep their
// case ("HÉLÈNE" becomes "hÉlÈne"): NonASCII lets callers count them.
//
// UID2 "Normalization and Encoding" (uid2docs, getting-started/
// gs-normalization-encoding.md) applies the gmail rule to "gmail.com
// addresses only", and the UID2 operator (InputUtil.normalizeEmailString)
// compares the domain with "gmail.com" alone, so googlemail.com is left
// as is even though Google delivers it to the same mailbox.
//
// The syntax checks go further than UID2, which accepts almost anything with
// one '@': what they reject (quoted local parts, spaces, "user@gmail.com.",
// "Name <user@x.com>") is never a deliverable address as written and would
// only produce digests that match nobody, so it is reported instead. Dots in
// the local part are not checked: some providers have issued addresses with
// leading or doubled dots.
func normalizeEmail(s string) (string, error) {
	if !NonASCII(s) {
		return emailRules(s)
	}
	out, err := emailRules(norm.NFC.String(s))
	if err != nil {
		return "", err
	}
	return norm.NFC.String(out), nil // out itself when already NFC
}

// emailRules applies the checks and UID2 rules of normalizeEmail.
func emailRules(s string) (string, error) {
	switch {
	case s == "":
		return "", invalid(Email, reasonEmpty)
	case len(s) > maxEmailLen:
		return "", invalid(Email, reasonEmailTooLong)
	}
	at := strings.IndexByte(s, '@')
	if at < 0 {
		return "", invalid(Email, reasonNoAt)
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case strings.IndexByte(domain, '@') >= 0:
		return "", invalid(Email, reasonManyAt)
	case local == "":
		return "", invalid(Email, reasonEmptyLocal)
	case domain == "":
		return "", invalid(Email, reasonEmptyDomain)
	case len(local) > maxLocalLen:
		return "", invalid(Email, reasonLocalTooLong)
	}
	localUpper, reason := scanText(local, isLocalASCII, reasonLocalChar)
	if reason != "" {
		return "", invalid(Email, reason)
	}
	domainUpper, reason := scanText(domain, isDomainASCII, reasonDomainChar)
	if reason != "" {
		return "", invalid(Email, reason)
	}
	switch {
	case domain[0] == '.' || domain[len(domain)-1] == '.' || strings.Contains(domain, ".."):
		return "", invalid(Email, reasonDomainLabel)
	case strings.IndexByte(domain, '.') < 0:
		return "", invalid(Email, reasonDomainNoDot)
	}
	if isGmail(domain) {
		return normalizeGmail(s, local, localUpper || domainUpper)
	}
	if !localUpper && !domainUpper {
		return s, nil
	}
	var buf [maxEmailLen]byte
	for i := 0; i < len(s); i++ {
		buf[i] = lowerASCII(s[i])
	}
	return string(buf[:len(s)]), nil
}

// normalizeGmail rewrites a gmail.com address s with local part local.
func normalizeGmail(s, local string, upper bool) (string, error) {
	if !upper && strings.IndexByte(local, '.') < 0 && strings.IndexByte(local, '+') < 0 {
		return s, nil
	}
	var buf [maxEmailLen]byte
	out := buf[:0]
	for i := 0; i < len(local) && local[i] != '+'; i++ {
		if local[i] != '.' {
			out = append(out, lowerASCII(local[i]))
		}
	}
	if len(out) == 0 {
		return "", invalid(Email, reasonGmailEmpty)
	}
	out = append(out, '@')
	out = append(out, gmailDomain...)
	return string(out), nil
}

// isGmail reports whether domain lowers (A-Z only, as the normalized form
// does) to gmail.com. strings.EqualFold would also fold non-ASCII look-alikes.
func isGmail(domain string) bool {
	if len(domain) != len(gmailDomain) {
		return false
	}
	for i := 0; i < len(domain); i++ {
		if lowerASCII(domain[i]) != gmailDomain[i] {
			return false
		}
	}
	return true
}

// isLocalASCII accepts the RFC 5322 atext characters and '.', the unquoted
// local-part alphabet. Quoted local parts are not supported.
func isLocalASCII(c byte) bool {
	return isASCIIAlnum(c) || c == '.' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isDomainASCII accepts host name characters; non-ASCII (IDN U-labels) is
// checked by scanText.
func isDomainASCII(c byte) bool {
	return isASCIIAlnum(c) || c == '-' || c == '.'
}

// NonASCII reports whether s holds a byte outside ASCII. For a normalized
// e-mail address it says that ASCII-only lower-casing may have left upper-
// case letters, and that the other party's tool must apply the same
// Unicode rules to match it: a summary counts such rows so a user sees
// them.
func NonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
