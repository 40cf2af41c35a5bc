package wording

import (
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

func TestThousandsAndReleased(t *testing.T) {
	n := int64(1234567)
	for _, tc := range []struct{ got, want string }{
		{Thousands(0), "0"}, {Thousands(999), "999"}, {Thousands(20000), "20,000"}, {Thousands(-1234), "-1,234"},
		{Released(&n, 50), "1,234,567"}, {Role(api.RoleMediaPartner), "media partner"}, {Role(api.RoleAdvertiser), "advertiser"}, {Released(nil, 50), "suppressed (< 50)"}, {Released(nil, 0), "suppressed (< k)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestPolicyDefaults checks that exactly the fields changed from the
// defaults lose their default mark.
func TestPolicyDefaults(t *testing.T) {
	p := policy.Default()
	for _, f := range Policy(p) {
		if !f.Default {
			t.Errorf("%s of the default policy not marked default", f.Name)
		}
	}
	p.K = 100
	p.DP = &policy.DP{Epsilon: 2}
	changed := map[string]bool{}
	for _, f := range Policy(p) {
		if !f.Default {
			changed[f.Name] = true
		}
	}
	if len(changed) != 2 || !changed["k"] || !changed["dp"] {
		t.Errorf("fields marked changed: %v, want k and dp", changed)
	}
}

func TestByCountLargestFirstThenByName(t *testing.T) {
	got := ByCount(map[string]int64{"b": 2, "a": 2, "c": 5, "d": 1})
	if strings.Join(got, ",") != "c,a,b,d" {
		t.Fatalf("ByCount = %v, want c,a,b,d", got)
	}
}

func TestRounds(t *testing.T) {
	three := api.Rounds([]api.KeyPairs{{Key: "email", Pairs: 3877}, {Key: "phone", Pairs: 412}, {Key: "maid", Pairs: 97}})
	for _, tc := range []struct {
		o    api.OverlapRounds
		keys int
		k    int64
		want string
	}{
		{three, 3, 50, "email 3,877 · then phone +412 · then maid +97"},
		{api.Rounds(nil), 3, 50, "suppressed per key: a round linked fewer than 50 pairs"},
		{api.Rounds(nil), 2, 0, "suppressed per key: a round linked fewer than k pairs"},
		{api.Rounds([]api.KeyPairs{{Key: "email", Pairs: 10}}), 1, 50, ""},
		{api.Rounds(nil), 1, 50, ""},
		{api.OverlapRounds{}, 1, 50, ""},
	} {
		if got := Rounds(tc.o, tc.keys, tc.k); got != tc.want {
			t.Errorf("Rounds(%+v, %d, %d) = %q, want %q", tc.o, tc.keys, tc.k, got, tc.want)
		}
	}
}

// TestThousandsAndSuppression: the figures as the CLI has always printed
// them.
func TestThousandsAndSuppression(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -20000: "-20,000"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	n := int64(51)
	if Released(&n, 50) != "51" || Released(nil, 50) != "suppressed (< 50)" || Released(nil, 0) != "suppressed (< k)" {
		t.Error("Released")
	}
}
