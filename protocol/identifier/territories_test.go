package identifier

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// Every territory sharedPlan lists must share its region's dialling
// habits in the phone metadata: the same national prefix (so "0690..." is
// read the same way) and the same international prefix; and every one must
// be a region the metadata knows, under another country code.
func TestSharedPlanDiallingHabits(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	intl := map[string]string{}
	for _, m := range coll.GetMetadata() {
		intl[m.GetId()] = m.GetInternationalPrefix()
	}
	for region := range phonenumbers.GetSupportedRegions() {
		for _, territory := range sharedPlan(region) {
			if !knownRegion(territory) {
				t.Errorf("%s: territory %s unknown to the metadata", region, territory)
				continue
			}
			if np, tnp := phonenumbers.GetNddPrefixForRegion(region, true), phonenumbers.GetNddPrefixForRegion(territory, true); np == "" || np != tnp {
				t.Errorf("%s: territory %s has national prefix %q, region %q", region, territory, tnp, np)
			}
			if intl[territory] != intl[region] {
				t.Errorf("%s: territory %s has international prefix %q, region %q", region, territory, intl[territory], intl[region])
			}
			if phonenumbers.GetCountryCodeForRegion(territory) == phonenumbers.GetCountryCodeForRegion(region) {
				t.Errorf("%s: territory %s shares its country code: the library already reads it", region, territory)
			}
		}
	}
}
