package tcf

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// The replay of testdata/iabtcf_core.json: strings encoded (or, for the
// published IAB examples, decoded) by @iabtcf/core, the IAB reference
// implementation, with every field it decodes. Unknown keys fail the test so
// that a field added to the generator cannot be silently ignored.

type referenceFile struct {
	Generator string            `json:"generator"`
	Note      string            `json:"note"`
	Vectors   []referenceVector `json:"vectors"`
}

type referenceVector struct {
	Name     string          `json:"name"`
	Source   string          `json:"source"`
	TCString string          `json:"tc_string"`
	Expect   referenceExpect `json:"expect"`
}

type referenceExpect struct {
	Segments                   []string `json:"segments"`
	Version                    int      `json:"version"`
	CreatedMs                  int64    `json:"created_ms"`
	LastUpdatedMs              int64    `json:"last_updated_ms"`
	CmpID                      int      `json:"cmp_id"`
	CmpVersion                 int      `json:"cmp_version"`
	ConsentScreen              int      `json:"consent_screen"`
	ConsentLanguage            string   `json:"consent_language"`
	VendorListVersion          int      `json:"vendor_list_version"`
	PolicyVersion              int      `json:"policy_version"`
	IsServiceSpecific          bool     `json:"is_service_specific"`
	UseNonStandardStacks       bool     `json:"use_non_standard_stacks"`
	SpecialFeatureOptins       []int    `json:"special_feature_optins"`
	PurposeConsents            []int    `json:"purpose_consents"`
	PurposeLegitimateInterests []int    `json:"purpose_legitimate_interests"`
	PurposeOneTreatment        bool     `json:"purpose_one_treatment"`
	PublisherCC                string   `json:"publisher_cc"`
	VendorConsents             []int    `json:"vendor_consents"`
	VendorLegitimateInterests  []int    `json:"vendor_legitimate_interests"`
	PublisherRestrictions      []struct {
		PurposeID       int      `json:"purpose_id"`
		RestrictionType int      `json:"restriction_type"`
		VendorRuns      [][2]int `json:"vendor_runs"`
	} `json:"publisher_restrictions"`
	Encodings struct {
		VendorConsents            string `json:"vendor_consents"`
		VendorLegitimateInterests string `json:"vendor_legitimate_interests"`
	} `json:"encodings"`
	VendorsDisclosed []int `json:"vendors_disclosed"`
	VendorsAllowed   []int `json:"vendors_allowed"`
	PublisherTC      *struct {
		PurposeConsents                  []int `json:"purpose_consents"`
		PurposeLegitimateInterests       []int `json:"purpose_legitimate_interests"`
		NumCustomPurposes                int   `json:"num_custom_purposes"`
		CustomPurposeConsents            []int `json:"custom_purpose_consents"`
		CustomPurposeLegitimateInterests []int `json:"custom_purpose_legitimate_interests"`
	} `json:"publisher_tc"`
}

func loadReference(t testing.TB) referenceFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/iabtcf_core.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f referenceFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("testdata/iabtcf_core.json: %v", err)
	}
	if !strings.HasPrefix(f.Generator, "@iabtcf/core ") || len(f.Vectors) == 0 {
		t.Fatalf("testdata/iabtcf_core.json: unexpected generator %q or no vectors", f.Generator)
	}
	return f
}

func TestReferenceVectors(t *testing.T) {
	f := loadReference(t)
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			got, err := Decode(v.TCString)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			checkAgainstReference(t, got, v.Expect)
		})
	}
}

// runs turns an ascending id list into maximal runs of consecutive ids, the
// form the reference file uses for publisher restrictions.
func runs(ids []int) [][2]int {
	out := [][2]int{}
	for _, id := range ids {
		if n := len(out); n > 0 && out[n-1][1]+1 == id {
			out[n-1][1] = id
		} else {
			out = append(out, [2]int{id, id})
		}
	}
	return out
}

func checkAgainstReference(t *testing.T, got *TCString, e referenceExpect) {
	t.Helper()
	eq := func(field string, g, w any) {
		t.Helper()
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if !bytes.Equal(gj, wj) {
			t.Errorf("%s = %s, @iabtcf/core says %s", field, gj, wj)
		}
	}
	ints := func(s []int) []int {
		if s == nil {
			return []int{}
		}
		return s
	}
	eq("Version", got.Version, e.Version)
	eq("Created", got.Created.UnixMilli(), e.CreatedMs)
	eq("LastUpdated", got.LastUpdated.UnixMilli(), e.LastUpdatedMs)
	eq("CmpID", got.CmpID, e.CmpID)
	eq("CmpVersion", got.CmpVersion, e.CmpVersion)
	eq("ConsentScreen", got.ConsentScreen, e.ConsentScreen)
	eq("ConsentLanguage", got.ConsentLanguage, e.ConsentLanguage)
	eq("VendorListVersion", got.VendorListVersion, e.VendorListVersion)
	eq("PolicyVersion", got.PolicyVersion, e.PolicyVersion)
	eq("IsServiceSpecific", got.IsServiceSpecific, e.IsServiceSpecific)
	eq("UseNonStandardTexts", got.UseNonStandardTexts, e.UseNonStandardStacks)
	eq("SpecialFeatureOptIns", got.SpecialFeatureOptIns.IDs(), ints(e.SpecialFeatureOptins))
	eq("PurposesConsent", got.PurposesConsent.IDs(), ints(e.PurposeConsents))
	eq("PurposesLITransparency", got.PurposesLITransparency.IDs(), ints(e.PurposeLegitimateInterests))
	eq("PurposeOneTreatment", got.PurposeOneTreatment, e.PurposeOneTreatment)
	eq("PublisherCC", got.PublisherCC, e.PublisherCC)
	eq("VendorConsents", got.VendorConsents.IDs(), ints(e.VendorConsents))
	eq("VendorLegitimateInterests", got.VendorLegitimateInterests.IDs(), ints(e.VendorLegitimateInterests))

	if len(got.PublisherRestrictions) != len(e.PublisherRestrictions) {
		t.Errorf("%d publisher restrictions, @iabtcf/core says %d", len(got.PublisherRestrictions), len(e.PublisherRestrictions))
	} else {
		for i, w := range e.PublisherRestrictions {
			g := got.PublisherRestrictions[i]
			eq("PublisherRestrictions.PurposeID", g.PurposeID, w.PurposeID)
			eq("PublisherRestrictions.Type", int(g.Type), w.RestrictionType)
			eq("PublisherRestrictions.Vendors", runs(g.Vendors.IDs()), w.VendorRuns)
		}
	}

	var segments []string
	segments = append(segments, "core")
	// Segment order in the string is free; the reference lists them as found.
	for _, s := range e.Segments[1:] {
		switch s {
		case "vendors_disclosed":
			if got.DisclosedVendors == nil {
				t.Errorf("DisclosedVendors segment missing")
			} else {
				eq("DisclosedVendors", got.DisclosedVendors.IDs(), ints(e.VendorsDisclosed))
			}
		case "vendors_allowed":
			if got.AllowedVendors == nil {
				t.Errorf("AllowedVendors segment missing")
			} else {
				eq("AllowedVendors", got.AllowedVendors.IDs(), ints(e.VendorsAllowed))
			}
		case "publisher_tc":
			if got.PublisherTC == nil || e.PublisherTC == nil {
				t.Errorf("PublisherTC segment: got %v, reference has it: %v", got.PublisherTC != nil, e.PublisherTC != nil)
			} else {
				p, w := got.PublisherTC, e.PublisherTC
				eq("PublisherTC.PurposesConsent", p.PurposesConsent.IDs(), ints(w.PurposeConsents))
				eq("PublisherTC.PurposesLITransparency", p.PurposesLITransparency.IDs(), ints(w.PurposeLegitimateInterests))
				eq("PublisherTC.NumCustomPurposes", p.NumCustomPurposes, w.NumCustomPurposes)
				eq("PublisherTC.CustomPurposesConsent", p.CustomPurposesConsent.IDs(), ints(w.CustomPurposeConsents))
				eq("PublisherTC.CustomPurposesLITransparency", p.CustomPurposesLITransparency.IDs(), ints(w.CustomPurposeLegitimateInterests))
			}
		default:
			t.Fatalf("reference names unknown segment %q", s)
		}
		segments = append(segments, s)
	}
	if got.DisclosedVendors != nil && !slices.Contains(segments, "vendors_disclosed") ||
		got.AllowedVendors != nil && !slices.Contains(segments, "vendors_allowed") ||
		got.PublisherTC != nil && !slices.Contains(segments, "publisher_tc") {
		t.Errorf("decoded a segment the reference did not see (reference: %v)", e.Segments)
	}
}

// The vectors must exercise both vendor encodings in both core sections and
// every optional segment, or agreement on them would prove nothing.
func TestReferenceVectorsCoverage(t *testing.T) {
	f := loadReference(t)
	seen := map[string]bool{}
	for _, v := range f.Vectors {
		e := v.Expect
		seen["consents "+e.Encodings.VendorConsents] = true
		seen["li "+e.Encodings.VendorLegitimateInterests] = true
		for _, s := range e.Segments {
			seen[s] = true
		}
		if len(e.PublisherRestrictions) > 0 {
			seen["restrictions"] = true
		}
		if strings.HasPrefix(v.Source, "IAB TCF v2 spec example") {
			seen["published"] = true
		}
	}
	for _, want := range []string{
		"consents bitfield", "consents range", "li bitfield", "li range",
		"vendors_disclosed", "vendors_allowed", "publisher_tc", "restrictions", "published",
	} {
		if !seen[want] {
			t.Errorf("no reference vector covers %s", want)
		}
	}
}
