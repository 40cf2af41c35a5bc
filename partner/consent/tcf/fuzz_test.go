package tcf

import (
	"reflect"
	"testing"
	"time"
)

func FuzzDecode(f *testing.F) {
	for _, v := range loadReference(f).Vectors {
		f.Add(v.TCString)
	}
	for _, h := range hostileCases() {
		f.Add(h.input)
	}
	f.Add(newCore().encode())
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Decode(s)
		if err != nil {
			if got != nil {
				t.Fatal("result returned with an error")
			}
			// Fuzzed inputs may spell out field names ("Version..."):
			// 16 characters cannot match message words by chance.
			checkDecodeError(t, err, s, 16)
			return
		}
		checkRanges(t, got)
		// Zero bits after the last field are padding: one more zero
		// character must change nothing.
		if len(s) < MaxLength {
			again, err := Decode(s + "A")
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("extra zero padding changed the result: %v", err)
			}
		}
	})
}

// checkRanges asserts that every decoded field lies within what its width and
// the spec allow.
func checkRanges(t *testing.T, tc *TCString) {
	t.Helper()
	fail := func(what string, v any) { t.Fatalf("%s out of range: %v", what, v) }
	if tc.Version != 2 {
		fail("Version", tc.Version)
	}
	for _, v := range []int{tc.CmpID, tc.CmpVersion, tc.VendorListVersion} {
		if v < 0 || v >= 1<<12 {
			fail("12-bit field", v)
		}
	}
	if tc.ConsentScreen < 0 || tc.ConsentScreen >= 64 || tc.PolicyVersion < 0 || tc.PolicyVersion >= 64 {
		fail("6-bit field", tc)
	}
	for _, l := range []string{tc.ConsentLanguage, tc.PublisherCC} {
		if len(l) != 2 || l[0] < 'A' || l[0] > 'Z' || l[1] < 'A' || l[1] > 'Z' {
			fail("letter code", l)
		}
	}
	limit := time.Unix(1<<36/10, 0)
	for _, ts := range []time.Time{tc.Created, tc.LastUpdated} {
		if ts.Location() != time.UTC || ts.Before(time.Unix(0, 0)) || ts.After(limit) {
			fail("timestamp", ts)
		}
	}
	if tc.SpecialFeatureOptIns >= 1<<12 || tc.PurposesConsent >= 1<<24 || tc.PurposesLITransparency >= 1<<24 {
		fail("flags", tc)
	}
	sets := []*VendorSet{&tc.VendorConsents, &tc.VendorLegitimateInterests, tc.DisclosedVendors, tc.AllowedVendors}
	for i, r := range tc.PublisherRestrictions {
		if r.PurposeID < 1 || r.PurposeID > 24 || r.Type < NotAllowed || r.Type > RequireLI {
			fail("restriction", r)
		}
		if i > 0 {
			p := tc.PublisherRestrictions[i-1]
			if p.PurposeID > r.PurposeID || p.PurposeID == r.PurposeID && p.Type >= r.Type {
				fail("restriction order", tc.PublisherRestrictions)
			}
		}
		sets = append(sets, &tc.PublisherRestrictions[i].Vendors)
	}
	for _, s := range sets {
		if s == nil {
			continue
		}
		ids := s.IDs()
		if s.Max() < 0 || s.Max() > MaxVendorID || len(ids) != s.Len() || s.Has(0) || s.Has(s.Max()+1) {
			fail("vendor set", s.Max())
		}
		for j, id := range ids {
			if id < 1 || id > s.Max() || j > 0 && ids[j-1] >= id || !s.Has(id) {
				fail("vendor id", id)
			}
		}
	}
	if p := tc.PublisherTC; p != nil {
		if p.NumCustomPurposes < 0 || p.NumCustomPurposes > 63 || p.PurposesConsent >= 1<<24 || p.PurposesLITransparency >= 1<<24 ||
			p.CustomPurposesConsent>>p.NumCustomPurposes != 0 || p.CustomPurposesLITransparency>>p.NumCustomPurposes != 0 {
			fail("publisher TC", p)
		}
	}
}

// The reference vectors satisfy the invariants the fuzz target checks, so a
// broken invariant check cannot pass the fuzz run vacuously.
func TestReferenceVectorsInRange(t *testing.T) {
	for _, v := range loadReference(t).Vectors {
		checkRanges(t, mustDecode(t, v.TCString))
	}
}
