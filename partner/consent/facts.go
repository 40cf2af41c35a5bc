package consent

import (
	"errors"
	"fmt"
	"strings"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// noLegitimateInterest holds the purposes for which TCF 2.2 allows no
// legitimate interest: 1 (store or access information on a device) never
// could, and 2.2 removed it for 3-6 (ads and content profiles and their use).
// Bit p-1 is purpose p, as in tcf.Flags.
const noLegitimateInterest tcf.Flags = 1<<(1-1) | 1<<(3-1) | 1<<(4-1) | 1<<(5-1) | 1<<(6-1)

// minTCString is a lower bound on the length of a TC string: the 213 bits of
// the core segment's fixed fields, before its vendor sections, in base64url
// (6 bits a character). A shorter cell is not a damaged TC string but some
// other value, most often a CRM's own opt-in column ("Oui").
const minTCString = (213 + 5) / 6

// ErrNotTCString is wrapped by ParseCell for a cell too short to be a TC
// string: most often a first-party value that a Mapping should read.
var ErrNotTCString = errors.New("consent: too short for a TC string (a first-party value such as Oui/Non needs a consent mapping)")

// Facts are one row's consent facts. The zero value, which an empty cell
// yields, grants nothing.
type Facts struct {
	consents tcf.Flags
	lis      tcf.Flags      // never holds a purpose of noLegitimateInterest
	vendors  *tcf.VendorSet // vendor consents; nil unless the cell was a TC string
}

// ParseCell derives the facts of one consent cell: blanks only (no consent),
// an explicit purpose list (ParsePurposeList) or a TC string (tcf.Decode).
// Surrounding blanks are trimmed. An error wraps ErrInvalidList or
// tcf.ErrMalformed (with a *tcf.DecodeError) and says nothing of the cell;
// the row then carries no consent.
func ParseCell(cell string) (Facts, error) {
	cell = strings.TrimSpace(cell)
	switch {
	case cell == "":
		return Facts{}, nil
	case IsPurposeList(cell):
		consents, lis, err := ParsePurposeList(cell)
		if err != nil {
			return Facts{}, err
		}
		return Facts{consents: consents, lis: lis}, nil
	}
	tc, err := tcf.Decode(cell)
	if err != nil && len(cell) < minTCString {
		return Facts{}, fmt.Errorf("%w: %w", ErrNotTCString, err)
	}
	if err != nil {
		return Facts{}, fmt.Errorf("consent: TC string: %w", err)
	}
	return FromTCString(tc), nil
}

// FromTCString derives the facts of a decoded TC string: its purpose consents,
// its purpose legitimate interests less those TCF 2.2 forbids (a
// non-compliant CMP may still set them), and its vendor consents.
// Publisher restrictions and the PublisherTC segment concern vendors' and
// publishers' own processing and do not change these facts.
func FromTCString(tc *tcf.TCString) Facts {
	vendors := tc.VendorConsents
	return Facts{
		consents: tc.PurposesConsent,
		lis:      tc.PurposesLITransparency &^ noLegitimateInterest,
		vendors:  &vendors,
	}
}

// PurposeConsent reports whether the user consented to purpose p (1-24).
func (f Facts) PurposeConsent(p int) bool { return f.consents.Has(p) }

// PurposeLI reports whether a legitimate interest stands for purpose p
// (1-24): established and not objected to. It is always false for purposes
// 1, 3, 4, 5 and 6, which TCF 2.2 reserves to consent.
func (f Facts) PurposeLI(p int) bool { return f.lis.Has(p) }

// VendorsConsented reports whether every vendor in ids has consent. An empty
// list needs nothing and is true. Otherwise only a TC string can answer: an
// empty cell or a purpose list, which names no vendor, is false (default
// deny), and so is any id outside 1-65535.
func (f Facts) VendorsConsented(ids []int) bool {
	for _, id := range ids {
		if f.vendors == nil || !f.vendors.Has(id) {
			return false
		}
	}
	return true
}
