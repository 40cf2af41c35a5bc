package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// Consent cells.
//
// A row's consent is drawn in two steps: what the user chose (a profile:
// accept all, reject all but leave legitimate interests standing...), then
// how the party recorded it (a TC string, an explicit purpose list, an
// empty cell, or a damaged value). With the weights below, under the
// default policy, about 81% of the cells let a row count (purpose 7 or 9
// by consent or legitimate interest) and about 59% also allow activation
// (consent to 1, 3 and 4); the tests hold the generated data to that.

// profile is one user choice on a CMP's banner.
type profile struct {
	name          string
	consents, lis tcf.Flags
	vendors       vendorChoice
	// legacy marks a TCF 2.0 string (policy version 2) from a CMP that
	// still sets legitimate interest for purposes 3 and 4, which TCF 2.2
	// forbids: the consent facade must ignore those bits.
	legacy bool
	// oneTreatment is PurposeOneTreatment: the publisher's country does
	// not ask consent for purpose 1.
	oneTreatment bool
}

// vendorChoice is the set of vendors a profile consents to.
type vendorChoice int

const (
	noVendors vendorChoice = iota
	allVendors
	measurementVendors
)

// purposes returns the set of the given purpose ids.
func purposes(ids ...int) tcf.Flags {
	var f tcf.Flags
	for _, id := range ids {
		f = f.With(id)
	}
	return f
}

// liPurposes are the purposes a CMP signals legitimate interest for when
// the user does not object: 2 and 7-11, the only ones TCF 2.2 allows.
var liPurposes = purposes(2, 7, 8, 9, 10, 11)

var profiles = []choice[*profile]{
	{&profile{name: "accept_all", consents: purposes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), lis: liPurposes, vendors: allVendors}, 660},
	{&profile{name: "reject_all", lis: liPurposes}, 90},
	{&profile{name: "measurement_only", consents: purposes(1, 7, 8, 9, 10), lis: purposes(2, 7, 9, 10), vendors: measurementVendors}, 80},
	{&profile{name: "no_ads_profile", consents: purposes(1, 2, 3, 7, 9), lis: purposes(2, 7, 8, 9, 10), vendors: measurementVendors}, 30},
	{&profile{name: "no_storage", consents: purposes(2, 3, 4, 7, 9), lis: purposes(2, 7, 8, 9, 10), vendors: allVendors, oneTreatment: true}, 30},
	{&profile{name: "ads_no_measurement", consents: purposes(1, 2, 3, 4), vendors: allVendors}, 30},
	{&profile{name: "object_all"}, 60},
	{&profile{name: "legacy_li", consents: purposes(1), lis: purposes(2, 3, 4, 7, 9), legacy: true}, 20},
}

// cellForm is how a row's consent is written.
type cellForm int

const (
	formTC      cellForm = iota // a valid TC string
	formList                    // an explicit purpose list, "1;3;4;7"
	formEmpty                   // nothing: no consent
	formBadTC                   // a damaged TC string
	formBadList                 // a purpose list with a typo
)

var cellForms = []choice[cellForm]{
	{formTC, 760}, {formList, 130}, {formEmpty, 90}, {formBadTC, 15}, {formBadList, 5},
}

// cmp is a synthetic consent management platform: a Global Vendor List
// (ids 1..gvlMaxVendor, some deleted, as on the real list), the vendor sets
// its strings carry, and how it writes each choice. It is read-only once
// built, so both files can be generated at the same time.
type cmp struct {
	consents [numConsentSets][]int
	li       []int // active vendors declaring a legitimate interest
	// tails are the encoded vendor sections for each consent set, without
	// and with li: every row with the same sets shares them.
	tails [numConsentSets][2]*bitWriter
	// lists are each profile's purpose list, with ";" and "; " between
	// items.
	lists map[*profile][2]string
}

// Vendor consent sets.
const (
	setNone        = iota
	setActive      // every vendor on the list
	setContiguous  // 1..gvlMaxVendor: CMPs that signal every id, written as one range
	setMeasurement // a few audience-measurement vendors, written as ranges
	numConsentSets
)

const gvlMaxVendor = 240

func newCMP(r *rand.Rand) (*cmp, error) {
	g := &cmp{lists: map[*profile][2]string{}}
	for _, p := range profiles {
		g.lists[p.v] = [2]string{purposeList(p.v, ";"), purposeList(p.v, "; ")}
	}
	for id := 1; id <= gvlMaxVendor; id++ {
		g.consents[setContiguous] = append(g.consents[setContiguous], id)
		if chance(r, 0.12) {
			continue // deleted
		}
		g.consents[setActive] = append(g.consents[setActive], id)
		if chance(r, 0.55) {
			g.li = append(g.li, id)
		}
		if chance(r, 0.04) {
			g.consents[setMeasurement] = append(g.consents[setMeasurement], id)
		}
	}
	for set, consents := range g.consents {
		for withLI, lis := range [][]int{nil, g.li} {
			tail, err := vendorTail(consents, lis, Shortest)
			if err != nil {
				return nil, err
			}
			g.tails[set][withLI] = tail
		}
	}
	return g, nil
}

// referenceDay is "today" for the consent timestamps, fixed so that the
// output depends on the seed alone.
var referenceDay = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// cmpIDs are the CMPs that wrote the strings.
var cmpIDs = []int{7, 10, 21, 28, 31, 68, 92, 134, 300, 350}

// countries are (ConsentLanguage, PublisherCC) pairs.
var countries = []choice[[2]string]{
	{[2]string{"FR", "FR"}, 60}, {[2]string{"EN", "GB"}, 15}, {[2]string{"DE", "DE"}, 15}, {[2]string{"ES", "ES"}, 10},
}

// consentCell draws the consent cell of one row from r. It returns the
// cell, the profile behind it (nil for an empty or damaged cell) and, for a
// valid TC string, the fields encoded.
func (g *cmp) consentCell(r *rand.Rand) (string, cellForm, *profile, *TC) {
	form := pick(r, cellForms)
	if form == formEmpty {
		return "", form, nil, nil
	}
	p := pick(r, profiles)
	switch form {
	case formList:
		if list := g.lists[p][r.IntN(5)/4]; list != "" { // "; " one time in five
			return list, form, p, nil
		}
		return "", formEmpty, nil, nil
	case formBadList:
		return oneOf(r, []string{"1,3,4,7", "1;3;4;", "1;3;4;7;25", "1 3 4 7"}), form, nil, nil
	}
	// Every field is drawn in range, so tc needs no check: a slip would
	// show as a string that decodes to other fields, which the tests catch.
	tc, tail := g.tcFields(r, p)
	s := tc.encode(tail)
	if form == formBadTC {
		return damage(r, s), form, nil, nil
	}
	return s, form, p, &tc
}

// purposeList writes p's choices as a purpose list: consents as ids,
// legitimate interests as "li:" ids, which a list may only carry for
// purposes TCF 2.2 allows.
func purposeList(p *profile, sep string) string {
	var items []string
	for _, id := range p.consents.IDs() {
		items = append(items, strconv.Itoa(id))
	}
	for _, id := range (p.lis & liPurposes).IDs() {
		items = append(items, "li:"+strconv.Itoa(id))
	}
	return strings.Join(items, sep)
}

// tcFields draws the core segment of a string recording choice p, and
// returns the encoded vendor sections with it.
func (g *cmp) tcFields(r *rand.Rand, p *profile) (TC, *bitWriter) {
	country := pick(r, countries)
	daysAgo := r.IntN(395) // TCF asks CMPs to renew consent within 13 months
	tc := TC{
		CmpID: oneOf(r, cmpIDs), CmpVersion: 1 + r.IntN(40), ConsentScreen: 1 + r.IntN(6),
		ConsentLanguage: country[0], PublisherCC: country[1],
		// The list is published weekly: older strings name older versions.
		VendorListVersion: 160 - daysAgo/7,
		PolicyVersion:     pick(r, []choice[int]{{4, 88}, {5, 12}}),
		IsServiceSpecific: true,
		PurposesConsent:   p.consents, PurposesLI: p.lis,
		PurposeOneTreatment: p.oneTreatment,
	}
	// Since 2022 both timestamps are the day of the last update.
	tc.Created = referenceDay.AddDate(0, 0, -daysAgo)
	tc.LastUpdated = tc.Created
	if p.legacy {
		tc.PolicyVersion, tc.VendorListVersion = 2, 50+r.IntN(100)
		tc.Created = referenceDay.AddDate(-3, 0, 0).Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		tc.LastUpdated = tc.Created.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
	}
	set := setNone
	switch p.vendors {
	case allVendors:
		set = setActive
		if chance(r, 0.4) {
			set = setContiguous
		}
	case measurementVendors:
		set = setMeasurement
	}
	tc.VendorConsents = g.consents[set]
	withLI := 0
	if p.lis != 0 {
		tc.VendorLI, withLI = g.li, 1
	}
	if p.vendors == allVendors {
		if chance(r, 0.4) {
			tc.SpecialFeatureOptIns = tc.SpecialFeatureOptIns.With(1)
		}
		if chance(r, 0.1) {
			tc.SpecialFeatureOptIns = tc.SpecialFeatureOptIns.With(2)
		}
	}
	return tc, g.tails[set][withLI]
}

// damage breaks a valid TC string in one of the ways files break them; each
// makes the decoder fail whatever the string.
func damage(r *rand.Rand, s string) string {
	switch r.IntN(4) {
	case 0: // a TCF v1 string: 'B' is version 1
		return "B" + s[1:]
	case 1: // cut by a column width limit, inside the fixed fields
		return s[:20]
	case 2: // re-encoded as padded base64
		return s + "=="
	default: // wrapped by a mail client
		return s[:len(s)/2] + " " + s[len(s)/2:]
	}
}
