package tcf

import "time"

// TCString is a decoded TC string: every field of the core segment and of the
// optional segments that were present. It holds no part of the encoded
// string.
//
// The purpose and vendor fields report what the string says. In particular
// PurposesLITransparency may carry bits that TCF 2.2 no longer allows
// (legitimate interest for purposes 1 and 3-6); deciding what counts as a
// lawful basis is the consent facade's job, not the decoder's.
type TCString struct {
	Version           int       // always 2
	Created           time.Time // UTC, decisecond precision
	LastUpdated       time.Time // UTC, decisecond precision
	CmpID             int
	CmpVersion        int
	ConsentScreen     int
	ConsentLanguage   string // two upper-case letters, e.g. "EN"
	VendorListVersion int
	PolicyVersion     int // TcfPolicyVersion (4 for TCF 2.2)
	IsServiceSpecific bool
	// UseNonStandardTexts was called UseNonStandardStacks before TCF 2.2.
	UseNonStandardTexts    bool
	SpecialFeatureOptIns   Flags // special features 1-12
	PurposesConsent        Flags // purposes 1-24
	PurposesLITransparency Flags // purposes 1-24
	PurposeOneTreatment    bool
	PublisherCC            string // two upper-case letters, e.g. "DE"

	VendorConsents            VendorSet
	VendorLegitimateInterests VendorSet
	// PublisherRestrictions has one entry per (PurposeID, Type), sorted by
	// purpose then type.
	PublisherRestrictions []PublisherRestriction

	DisclosedVendors *VendorSet   // nil when the segment is absent
	AllowedVendors   *VendorSet   // nil when the segment is absent
	PublisherTC      *PublisherTC // nil when the segment is absent
}

// RestrictionType is a publisher restriction's RestrictionType.
type RestrictionType int

// The three defined restriction types; 3 is undefined and rejected.
const (
	NotAllowed     RestrictionType = 0 // purpose flatly not allowed
	RequireConsent RestrictionType = 1 // flexible purpose: consent required
	RequireLI      RestrictionType = 2 // flexible purpose: legitimate interest required
)

// A PublisherRestriction restricts the vendors in Vendors for one purpose.
type PublisherRestriction struct {
	PurposeID int // 1-24
	Type      RestrictionType
	Vendors   VendorSet
}

// PublisherTC is the publisher purposes transparency and consent segment.
type PublisherTC struct {
	PurposesConsent              Flags // purposes 1-24
	PurposesLITransparency       Flags // purposes 1-24
	NumCustomPurposes            int   // 0-63
	CustomPurposesConsent        Flags // custom purposes 1..NumCustomPurposes
	CustomPurposesLITransparency Flags // custom purposes 1..NumCustomPurposes
}

// PurposeConsent reports the PurposesConsent bit of purpose p (1-24).
func (t *TCString) PurposeConsent(p int) bool { return t.PurposesConsent.Has(p) }

// PurposeLI reports the PurposesLITransparency bit of purpose p (1-24), as
// encoded: see the TCString doc for TCF 2.2.
func (t *TCString) PurposeLI(p int) bool { return t.PurposesLITransparency.Has(p) }

// VendorConsent reports whether vendor id has consent.
func (t *TCString) VendorConsent(id int) bool { return t.VendorConsents.Has(id) }

// VendorLI reports whether vendor id has legitimate interest established and
// not objected to.
func (t *TCString) VendorLI(id int) bool { return t.VendorLegitimateInterests.Has(id) }

// SpecialFeatureOptIn reports whether the user opted in to special feature f
// (1-12).
func (t *TCString) SpecialFeatureOptIn(f int) bool { return t.SpecialFeatureOptIns.Has(f) }
