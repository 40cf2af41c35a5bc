package consent

import (
	"errors"
	"fmt"
	"strings"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// ErrInvalidList is wrapped by every error ParsePurposeList returns.
var ErrInvalidList = errors.New("consent: invalid purpose list")

// maxPurpose is the highest purpose id the TCF's 24-bit purpose fields hold.
const maxPurpose = 24

// liPrefix marks a legitimate-interest item in a purpose list.
const liPrefix = "li:"

// IsPurposeList reports whether a trimmed, non-empty cell is meant as a
// purpose list rather than a TC string: a list starts with a digit or "li:",
// a TC string with 'C'. The first character decides, so that "1,3" is
// reported as a bad list, not as a bad TC string.
func IsPurposeList(cell string) bool {
	return '0' <= cell[0] && cell[0] <= '9' || strings.HasPrefix(cell, liPrefix)
}

// ParsePurposeList parses an explicit purpose list: items separated by ';',
// each optionally surrounded by spaces or tabs. An item is either a purpose
// id from 1 to 24 in plain decimal ("7"), meaning the user consented to that
// purpose, or the same prefixed by "li:" ("li:7"), meaning a legitimate
// interest was established for it and the user did not object. Repeated
// items are allowed. A plain list carries no legitimate interest: it must be
// written out.
//
// The grammar is strict so that a typo cannot grant consent: empty items
// (";;", a trailing ';'), signs, leading zeros, ids outside 1-24, other
// separators, and "li:" for purposes 1, 3, 4, 5 or 6 (TCF 2.2 allows no
// legitimate interest for them) are errors wrapping ErrInvalidList. The
// caller trims the cell and handles the empty cell.
func ParsePurposeList(list string) (consents, legitimateInterests tcf.Flags, err error) {
	for i, item := range strings.Split(list, ";") {
		item = strings.Trim(item, " \t")
		li := strings.HasPrefix(item, liPrefix)
		if li {
			item = item[len(liPrefix):]
		}
		p, ok := parsePurposeID(item)
		switch {
		case !ok:
			return 0, 0, fmt.Errorf("%w: item %d is not a purpose id from 1 to %d", ErrInvalidList, i+1, maxPurpose)
		case li && noLegitimateInterest.Has(p):
			return 0, 0, fmt.Errorf("%w: item %d: TCF 2.2 allows no legitimate interest for purposes 1, 3, 4, 5 and 6", ErrInvalidList, i+1)
		case li:
			legitimateInterests = legitimateInterests.With(p)
		default:
			consents = consents.With(p)
		}
	}
	return consents, legitimateInterests, nil
}

// parsePurposeID accepts "1" to "24", nothing else.
func parsePurposeID(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = 10*n + int(c-'0')
	}
	return n, n <= maxPurpose
}
