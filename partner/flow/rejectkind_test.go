package flow

import (
	"testing"

	"github.com/blindjoin/blindjoin/protocol/policy"
)

func TestKindOf(t *testing.T) {
	for reason, want := range map[string]RejectKind{
		reasonMalformedRow:                           RejectCSV,
		"invalid email: more than one '@'":           RejectIdentifier,
		"invalid phone: not E.164":                   RejectIdentifier,
		"invalid identifier":                         RejectIdentifier,
		"duplicate email":                            RejectDuplicate,
		"duplicate sha256":                           RejectDuplicate,
		reasonBadConsent:                             RejectConsent,
		reasonVendors:                                RejectConsent,
		countReason(policy.Default().CountPurposes):  RejectConsent,
		countReason(policy.Rule{AllOf: []int{1, 7}}): RejectConsent,
	} {
		if got := KindOf(reason); got != want {
			t.Errorf("KindOf(%q) = %s, want %s", reason, got, want)
		}
	}
}
