package tcf

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func mustDecode(t *testing.T, s string) *TCString {
	t.Helper()
	got, err := Decode(s)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return got
}

// The builder's default core, decoded field by field against the values it
// was built from.
func TestDecodeBuiltCore(t *testing.T) {
	c := newCore()
	disclosed := segment(1, ranges(700, entry{1, 650}, entry{700, 0}))
	allowed := segment(2, bitField(9, 2, 9))
	pub := segment(3, publisherTC([]int{1, 24}, []int{2}, 5, []int{1, 5}, []int{3}))
	got := mustDecode(t, c.encode()+"."+pub+"."+allowed+"."+disclosed)

	if got.Version != 2 || got.CmpID != 300 || got.CmpVersion != 7 || got.ConsentScreen != 3 ||
		got.VendorListVersion != 150 || got.PolicyVersion != 4 || got.IsServiceSpecific ||
		got.UseNonStandardTexts || got.PurposeOneTreatment {
		t.Errorf("scalar fields: %+v", got)
	}
	if got.ConsentLanguage != "FR" || got.PublisherCC != "DE" {
		t.Errorf("letters: %q %q", got.ConsentLanguage, got.PublisherCC)
	}
	if want := time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC); !got.Created.Equal(want) ||
		!got.LastUpdated.Equal(want.Add(900*time.Millisecond)) || got.Created.Location() != time.UTC {
		t.Errorf("times: %v %v", got.Created, got.LastUpdated)
	}
	for _, p := range []int{1, 3, 4, 7, 9} {
		if !got.PurposeConsent(p) {
			t.Errorf("purpose %d consent missing", p)
		}
	}
	if got.PurposeConsent(2) || got.PurposeConsent(0) || got.PurposeConsent(25) || !got.PurposeLI(10) || got.PurposeLI(1) {
		t.Errorf("purpose bits: consents %v LI %v", got.PurposesConsent.IDs(), got.PurposesLITransparency.IDs())
	}
	if !got.SpecialFeatureOptIn(1) || got.SpecialFeatureOptIn(2) {
		t.Errorf("special features %v", got.SpecialFeatureOptIns.IDs())
	}
	if ids := got.VendorConsents.IDs(); !slices.Equal(ids, []int{1, 5, 12}) || got.VendorConsents.Max() != 12 {
		t.Errorf("vendor consents %v max %d", ids, got.VendorConsents.Max())
	}
	if !got.VendorLI(3) || !got.VendorLI(100) || !got.VendorLI(200) || got.VendorLI(201) || !got.VendorLI(40000) ||
		got.VendorLegitimateInterests.Len() != 103 || got.VendorConsent(13) || got.VendorConsent(0) {
		t.Errorf("vendor LI %d ids", got.VendorLegitimateInterests.Len())
	}
	if len(got.PublisherRestrictions) != 1 {
		t.Fatalf("restrictions %+v", got.PublisherRestrictions)
	}
	if r := got.PublisherRestrictions[0]; r.PurposeID != 2 || r.Type != RequireConsent || !slices.Equal(r.Vendors.IDs(), []int{5, 8, 9}) {
		t.Errorf("restriction %+v %v", r, r.Vendors.IDs())
	}
	if got.DisclosedVendors == nil || got.DisclosedVendors.Len() != 651 || !got.DisclosedVendors.Has(700) {
		t.Errorf("disclosed vendors %v", got.DisclosedVendors)
	}
	if got.AllowedVendors == nil || !slices.Equal(got.AllowedVendors.IDs(), []int{2, 9}) {
		t.Errorf("allowed vendors %v", got.AllowedVendors)
	}
	p := got.PublisherTC
	if p == nil || !slices.Equal(p.PurposesConsent.IDs(), []int{1, 24}) || !slices.Equal(p.PurposesLITransparency.IDs(), []int{2}) ||
		p.NumCustomPurposes != 5 || !slices.Equal(p.CustomPurposesConsent.IDs(), []int{1, 5}) ||
		!slices.Equal(p.CustomPurposesLITransparency.IDs(), []int{3}) {
		t.Errorf("publisher TC %+v", p)
	}
}

// Valid corner cases the strict rules must not reject.
func TestDecodeAcceptsEdgeCases(t *testing.T) {
	full := make([]int, MaxVendorID)
	for i := range full {
		full[i] = i + 1
	}
	tests := []struct {
		name  string
		build func(*coreSpec)
		check func(*TCString) bool
	}{
		{"empty bit fields", func(c *coreSpec) { c.vendorConsents, c.vendorLI = bitField(0), bitField(0) },
			func(t *TCString) bool { return t.VendorConsents.Len() == 0 && t.VendorLegitimateInterests.Max() == 0 }},
		{"range with no entries", func(c *coreSpec) { c.vendorConsents = ranges(500) },
			func(t *TCString) bool { return t.VendorConsents.Len() == 0 && t.VendorConsents.Max() == 500 }},
		{"every vendor id in a bit field", func(c *coreSpec) { c.vendorConsents = bitField(MaxVendorID, full...) },
			func(t *TCString) bool { return t.VendorConsents.Len() == MaxVendorID && t.VendorConsent(MaxVendorID) }},
		{"every vendor id in one range", func(c *coreSpec) { c.vendorLI = ranges(MaxVendorID, entry{1, MaxVendorID}) },
			func(t *TCString) bool { return t.VendorLegitimateInterests.Len() == MaxVendorID }},
		{"overlapping unordered ranges are a union", func(c *coreSpec) {
			c.vendorConsents = ranges(90, entry{50, 90}, entry{10, 60}, entry{10, 0})
		}, func(t *TCString) bool { return t.VendorConsents.Len() == 81 && !t.VendorConsent(9) }},
		{"many zero bits of padding", func(c *coreSpec) { c.trailer = raw(600, 0) },
			func(t *TCString) bool { return t.CmpID == 300 }},
		{"repeated restriction entries merge", func(c *coreSpec) {
			c.restrictions = restrictions(restriction{7, 0, []entry{{3, 0}}}, restriction{2, 2, nil}, restriction{7, 0, []entry{{1, 2}}})
		}, func(t *TCString) bool {
			r := t.PublisherRestrictions
			return len(r) == 2 && r[0].PurposeID == 2 && r[0].Type == RequireLI && r[0].Vendors.Len() == 0 &&
				r[1].PurposeID == 7 && slices.Equal(r[1].Vendors.IDs(), []int{1, 2, 3})
		}},
		{"largest timestamps", func(c *coreSpec) { c.created, c.updated = 1<<36-1, 0 },
			func(t *TCString) bool { return t.Created.Year() == 2187 && t.LastUpdated.Equal(time.Unix(0, 0)) }},
		{"letters a and z", func(c *coreSpec) { c.language, c.cc = [2]uint64{0, 25}, [2]uint64{25, 0} },
			func(t *TCString) bool { return t.ConsentLanguage == "AZ" && t.PublisherCC == "ZA" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCore()
			tt.build(&c)
			if got := mustDecode(t, c.encode()); !tt.check(got) {
				t.Errorf("unexpected result %+v", got)
			}
		})
	}
}

func TestCoreStartsWithC(t *testing.T) {
	// Version 2 in the first six bits is base64url 'C': how a consent cell
	// tells a TC string from a purpose list.
	if s := newCore().encode(); !strings.HasPrefix(s, "C") {
		t.Fatalf("core starts with %q", s[:1])
	}
}

func BenchmarkDecode(b *testing.B) {
	f := loadReference(b)
	s := f.Vectors[len(f.Vectors)-1].TCString // the largest published example
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if _, err := Decode(s); err != nil {
			b.Fatal(err)
		}
	}
}
