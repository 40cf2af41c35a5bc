package flow

import (
	"fmt"
	"testing"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

func testInfo(t testing.TB, policyJSON string, role string, segments []string) *sessionInfo {
	t.Helper()
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		t.Fatal(err)
	}
	info, err := deriveInfo(api.Session{
		ID: fakeSessionID, MatchKey: api.MatchKeyEmail, Policy: pol.Canonical(), PolicyHash: pol.Hash(), Segments: segments,
	}, role, false)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func TestClassify(t *testing.T) {
	info := testInfo(t, `{"vendor_ids": [755], "count_purposes": {"all_of": [7, 9]}}`, api.RoleAdvertiser, []string{"a", "b"})
	c := newClassifier(info, "")
	for _, tc := range []struct {
		row    csvin.Row
		reason string
	}{
		{csvin.Row{ID: "x@example.com", Consent: "1;3;4;7;9"}, reasonVendors}, // a list names no vendor
		{csvin.Row{ID: "x@example.com", Consent: "7"}, "no lawful basis for counting (purposes 7+9)"},
		{csvin.Row{ID: "x@example.com", Consent: ""}, "no lawful basis for counting (purposes 7+9)"},
		{csvin.Row{ID: "x@example.com", Consent: "li:1"}, reasonBadConsent + ": invalid purpose list: item 1: TCF 2.2 allows no legitimate interest for purposes 1, 3, 4, 5 and 6"},
		{csvin.Row{ID: "@example.com", Consent: "7;9"}, "invalid email: empty local part"},
	} {
		for range 2 { // the second time from the consent cache
			_, _, rej := c.classify(tc.row)
			if rej == nil || rej.String() != tc.reason {
				t.Errorf("%+v: reject %v, want %q", tc.row, rej, tc.reason)
			}
		}
	}

	info = testInfo(t, `{}`, api.RoleAdvertiser, []string{"a", "b"})
	c = newClassifier(info, "")
	d, bits, rej := c.classify(csvin.Row{ID: " X@Example.com ", Consent: "1;3;4;li:7", Segments: []string{"b", "zz", "b"}})
	if rej != nil {
		t.Fatal(rej)
	}
	// consent 1, 3, 4 (bits 0-2), LI 7 (bit 5), segment b (bit 8).
	if want := uint64(0b1_0010_0111); bits != want {
		t.Errorf("bits = %b, want %b", bits, want)
	}
	d2, _, _ := c.classify(csvin.Row{ID: "x@example.com", Consent: "7"})
	if d != d2 {
		t.Error("the same email gave two digests")
	}
	// "zz" holds one of the slots: 99 of these names fit, 11 do not.
	for i := range maxUnknownSegments + 10 {
		c.classify(csvin.Row{ID: "x@example.com", Consent: "7", Segments: []string{fmt.Sprint("n", i)}})
	}
	if len(c.unknown) != maxUnknownSegments+1 || c.unknown[otherUnknownSegments] != 11 || c.unknown["zz"] != 1 {
		t.Errorf("unknown segments: %d names, other %d, zz %d", len(c.unknown), c.unknown[otherUnknownSegments], c.unknown["zz"])
	}
}
