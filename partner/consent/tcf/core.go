package tcf

import (
	"strconv"
	"time"
)

// version is the only TC string encoding version this package decodes.
const version = 2

// decodeCore decodes the core segment, field by field in spec order.
func decodeCore(seg string) (*TCString, error) {
	r, err := newBitReader(seg, "Core")
	if err != nil {
		return nil, err
	}
	t := &TCString{}
	// The version decides the layout of everything after it, so it is
	// checked before anything else is read.
	t.Version = r.int(6, "Version")
	if r.err == nil && t.Version != version {
		r.fail("Version", "unsupported version "+strconv.Itoa(t.Version))
	}
	t.Created = r.deciseconds("Created")
	t.LastUpdated = r.deciseconds("LastUpdated")
	t.CmpID = r.int(12, "CmpId")
	t.CmpVersion = r.int(12, "CmpVersion")
	t.ConsentScreen = r.int(6, "ConsentScreen")
	t.ConsentLanguage = r.letters("ConsentLanguage")
	t.VendorListVersion = r.int(12, "VendorListVersion")
	t.PolicyVersion = r.int(6, "TcfPolicyVersion")
	t.IsServiceSpecific = r.bool("IsServiceSpecific")
	t.UseNonStandardTexts = r.bool("UseNonStandardTexts")
	t.SpecialFeatureOptIns = r.flags(12, "SpecialFeatureOptIns")
	t.PurposesConsent = r.flags(24, "PurposesConsent")
	t.PurposesLITransparency = r.flags(24, "PurposesLITransparency")
	t.PurposeOneTreatment = r.bool("PurposeOneTreatment")
	t.PublisherCC = r.letters("PublisherCC")

	r.section = "VendorConsents"
	t.VendorConsents = r.vendorSection()
	r.section = "VendorLegitimateInterests"
	t.VendorLegitimateInterests = r.vendorSection()
	r.section = "PublisherRestrictions"
	t.PublisherRestrictions = r.publisherRestrictions()
	r.section = "Core"
	if err := r.finish(); err != nil {
		return nil, err
	}
	return t, nil
}

// deciseconds reads a 36-bit count of deciseconds since the Unix epoch.
func (r *bitReader) deciseconds(field string) time.Time {
	return time.UnixMilli(int64(r.uint(36, field)) * 100).UTC()
}

// letters reads a two-letter code, six bits per letter, a=0 .. z=25, and
// returns it in upper case as @iabtcf/core does.
func (r *bitReader) letters(field string) string {
	a, b := r.uint(6, field), r.uint(6, field)
	if a > 25 || b > 25 {
		r.fail(field, "letter outside a-z")
		return ""
	}
	return string([]byte{'A' + byte(a), 'A' + byte(b)})
}
