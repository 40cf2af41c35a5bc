package flow

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// SegmentNaming says how a label of the segments column becomes a segment
// name. Session create (--segments-from) and match must use the same one:
// the session's names are fixed when it is created, and the advertiser's
// rows are looked up by them.
type SegmentNaming string

const (
	// SegmentNamesAsIs takes labels as written: a label that is not a
	// segment name (policy.CheckSegmentName) is refused.
	SegmentNamesAsIs SegmentNaming = ""
	// SegmentNamesSlug turns a CRM's labels into segment names: accents
	// stripped, lower-cased, every run of other characters made one '_'
	// ("Nouveau client" -> "nouveau_client", "Fidèle" -> "fidele").
	SegmentNamesSlug SegmentNaming = "slug"
)

// ParseSegmentNaming reads a --segment-names value: "as-is" (or empty) or
// "slug".
func ParseSegmentNaming(s string) (SegmentNaming, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "as-is":
		return SegmentNamesAsIs, nil
	case "slug":
		return SegmentNamesSlug, nil
	}
	return "", fmt.Errorf("%w: segment naming %q (want as-is or slug)", ErrOptions, s)
}

// name returns the segment name of label.
func (n SegmentNaming) name(label string) string {
	if n == SegmentNamesSlug {
		return Slug(label)
	}
	return label
}

// Slug makes a segment name of a label: decomposed (NFD) so that accents
// become separate marks, marks dropped, lower-cased; letters and digits
// other than ASCII ones, and everything else, become '_', runs of '_'
// collapse and none is left at either end.
func Slug(label string) string {
	stripped, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn))), label)
	if err != nil {
		stripped = label // not reached: these transformers fail on nothing
	}
	var b strings.Builder
	pending := false // a '_' is due before the next kept character
	for _, r := range strings.ToLower(stripped) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if pending && b.Len() > 0 {
				b.WriteByte('_')
			}
			pending = false
			b.WriteRune(r)
			continue
		}
		pending = true
	}
	return b.String()
}
