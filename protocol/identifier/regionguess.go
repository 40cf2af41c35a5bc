package identifier

import (
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// regionGuessSample is how many rejected numbers a RegionGuesser tries in
// every region: enough for a majority to mean something, few enough that
// trying ~245 regions each stays well under a second.
const regionGuessSample = 64

// RegionGuesser looks for the default region a file's national-format
// phone numbers were written in, so that a tool can say "did you mean
// --region FR?" instead of silently dropping them. It keeps counts only,
// never a number. The zero value is ready to use; it is not safe for
// concurrent use.
//
// Feed it the phone cells rejected for want of a region (Rejected) and the
// E.164 numbers accepted from the same file (Accepted), then ask Suggest.
type RegionGuesser struct {
	sampled int
	valid   map[string]int // region -> sampled numbers valid there
	codes   map[int]int    // country code -> accepted numbers with it
}

// Rejected counts in which regions input, a phone cell that normalizing
// rejected, would be a valid national number. Only the first 64 national-
// looking cells (digits and separators, no '+') are tried; others are
// ignored.
func (g *RegionGuesser) Rejected(input string) {
	s := strings.TrimSpace(input)
	if g.sampled == regionGuessSample || s == "" || s[0] == '+' || checkPhoneText(s) != nil {
		return
	}
	if g.valid == nil {
		g.valid = map[string]int{}
	}
	g.sampled++
	for region := range phonenumbers.GetSupportedRegions() {
		if nationalOf(region, s) {
			g.valid[region]++
		}
	}
}

// nationalOf reports whether s, read as a national number of region, is a
// valid number of region or of a territory sharing its plan. Validity alone
// is not enough: every NANPA region reads "(415) 555-0100" as the valid
// US number +1 415 555 0100.
func nationalOf(region, s string) bool {
	e164, err := (Normalizer{DefaultRegion: region}).parseNational(s)
	if err != nil {
		return false
	}
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return false
	}
	owner := phonenumbers.GetRegionCodeForNumber(num)
	return owner == region || slices.Contains(sharedPlan(region), owner)
}

// Accepted counts the country code of e164, a phone number accepted from
// the same file: the numbers written with a country code say which
// country the others are probably from.
func (g *RegionGuesser) Accepted(e164 string) {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return
	}
	if g.codes == nil {
		g.codes = map[int]int{}
	}
	g.codes[int(num.GetCountryCode())]++
}

// Suggest returns the region under which most (more than half) of the
// sampled rejected numbers are valid. National formats overlap (a French
// "06 12 34 56 78" is also a valid Dutch or German number), so among the
// regions that do equally well it takes the one whose country code is the
// most common among the accepted numbers, then the first of preferred (a
// caller's hint, such as the user's locale) that did as well. ok is false
// when no region stands out.
func (g *RegionGuesser) Suggest(preferred ...string) (region string, ok bool) {
	best := 0
	var tied []string
	for r, n := range g.valid {
		switch {
		case n > best:
			best, tied = n, []string{r}
		case n == best:
			tied = append(tied, r)
		}
	}
	if 2*best <= g.sampled {
		return "", false
	}
	if len(tied) == 1 {
		return tied[0], true
	}
	slices.Sort(tied) // map order is random: ties are broken the same way each time
	var byCode []string
	most := 0
	for _, r := range tied {
		switch n := g.codes[phonenumbers.GetCountryCodeForRegion(r)]; {
		case n > most:
			most, byCode = n, []string{r}
		case n == most && n > 0:
			byCode = append(byCode, r)
		}
	}
	if len(byCode) == 1 {
		return byCode[0], true
	}
	for _, r := range preferred {
		if slices.Contains(tied, r) {
			return r, true
		}
	}
	return "", false
}
