package synth

import (
	"reflect"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/policy"
)

// TestKeyedAudiences: the same config draws the same rows, every row has
// a key, and the patterns the waterfall is about all occur, so the truth
// differs between the settings in the expected direction.
func TestKeyedAudiences(t *testing.T) {
	cfg := KeyedConfig{Seed: 3, Rows: 5000, OverlapFraction: 0.5, Segments: []string{"a", "b"}}
	adv, partner, err := KeyedAudiences(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, _, _ := KeyedAudiences(cfg)
	if !reflect.DeepEqual(adv, again) {
		t.Fatal("the same config drew other rows")
	}
	if len(adv) != cfg.Rows || len(partner) != cfg.Rows {
		t.Fatalf("%d and %d rows, want %d", len(adv), len(partner), cfg.Rows)
	}
	for i, r := range append(adv, partner...) {
		if r.Email == "" && r.Phone == "" && r.MAID == "" {
			t.Fatalf("row %d has no key", i)
		}
	}
	keys := []string{policy.KeyEmail, policy.KeyPhone, policy.KeyMAID}
	truth := func(d policy.Duplicates, c policy.Conflicts) *KeyedTruth {
		return ComputeKeyedTruth(keys, d, c, cfg.Segments, adv, partner)
	}
	base := truth(policy.DuplicatesFirst, policy.ConflictsBlock)
	sum := 0
	for _, n := range base.Rounds {
		if n == 0 {
			t.Errorf("a round links nobody: %v", base.Rounds)
		}
		sum += n
	}
	if sum != base.Overlap || len(base.Links) != base.Overlap {
		t.Errorf("rounds %v, overlap %d, %d links", base.Rounds, base.Overlap, len(base.Links))
	}
	// The work/personal personas link under "ignore" only; the household
	// phones and the duplicated CRM rows link less under "drop".
	if ignore := truth(policy.DuplicatesFirst, policy.ConflictsIgnore); ignore.Overlap <= base.Overlap {
		t.Errorf("ignore links %d, block %d: no persona pattern", ignore.Overlap, base.Overlap)
	}
	drop := truth(policy.DuplicatesDrop, policy.ConflictsBlock)
	if drop.Overlap >= base.Overlap || drop.AdvertiserRows >= base.AdvertiserRows || drop.PartnerRows >= base.PartnerRows {
		t.Errorf("drop: overlap %d rows %d/%d; first: %d rows %d/%d", drop.Overlap, drop.AdvertiserRows, drop.PartnerRows,
			base.Overlap, base.AdvertiserRows, base.PartnerRows)
	}
}
