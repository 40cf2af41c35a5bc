package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// invalid draws an identifier cell that does not normalize as key, in one
// of the ways real exports get them wrong.
func invalid(r *rand.Rand, key identifier.Type) string {
	switch key {
	case identifier.Phone:
		return invalidPhone(r)
	case identifier.MAID:
		return invalidMAID(r)
	}
	return invalidEmail(r)
}

func invalidEmail(r *rand.Rand) string {
	first, last, domain := oneOf(r, firstNames), oneOf(r, lastNames), pick(r, consumerDomains)
	switch pick(r, []choice[int]{{0, 25}, {1, 20}, {2, 10}, {3, 15}, {4, 10}, {5, 8}, {6, 7}, {7, 5}}) {
	case 0:
		return "" // empty
	case 1:
		return first + "." + last + "@@" + domain // more than one '@'
	case 2:
		return first + "@" + last + "@" + domain // more than one '@'
	case 3:
		return first + "." + last + "@" // empty domain
	case 4:
		return first + "." + last + "." + domain // missing '@'
	case 5:
		return first + " " + last + "@" + domain // white space
	case 6:
		return first + "." + last + "@" + domain[:strings.IndexByte(domain, '.')] // domain has no '.'
	default:
		return "n/a" // missing '@'
	}
}

func invalidPhone(r *rand.Rand) string {
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	switch r.IntN(5) {
	case 0:
		return ""
	case 1: // national format: not E.164, and no default region to read it
		d := digits(8)
		return "06 " + d[0:2] + " " + d[2:4] + " " + d[4:6] + " " + d[6:8]
	case 2: // international, formatted, in a range France has not assigned
		d := digits(7)
		return "+33 7 0" + d[0:1] + " " + d[1:3] + " " + d[3:5] + " " + d[5:7]
	case 3: // fewer than 10 digits
		return "+336" + digits(4)
	default:
		return "unknown"
	}
}

func invalidMAID(r *rand.Rand) string {
	uuid := func() string {
		var b strings.Builder
		for i := range 32 {
			if i == 8 || i == 12 || i == 16 || i == 20 {
				b.WriteByte('-')
			}
			b.WriteString(strconv.FormatUint(r.Uint64N(16), 16))
		}
		return b.String()
	}
	switch r.IntN(5) {
	case 0:
		return ""
	case 1: // the IDFA of a user who limited ad tracking
		return "00000000-0000-0000-0000-000000000000"
	case 2: // hyphens stripped
		return strings.ReplaceAll(uuid(), "-", "")
	case 3: // braces, as some Windows tools write GUIDs
		return "{" + uuid() + "}"
	default:
		return "unknown"
	}
}
