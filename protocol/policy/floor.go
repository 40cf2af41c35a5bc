package policy

import (
	"fmt"
	"slices"
)

// CheckFloor returns nil if p is at least as strict as floor in every
// field, and otherwise a *FloorError naming each looser field:
//
//   - min_rows and k at least the floor's, retention_days at most;
//   - each purpose rule implies the floor's (every purpose set that
//     satisfies p's rule satisfies the floor's);
//   - activation_segments a subset of the floor's when the floor names any;
//   - rate_granularity at least as coarse;
//   - dp present with epsilon at most the floor's when the floor has dp;
//   - vendor_ids a superset of the floor's.
//
// match_keys, duplicates and conflicts say how the two parties match, which
// they agree on by the policy hash; they release nothing by themselves, and
// every count they produce still passes k and the other release rules, so
// the floor does not constrain them.
//
// Either policy failing Validate is an error too.
func (p Policy) CheckFloor(floor Policy) error {
	if err := floor.Validate(); err != nil {
		return fmt.Errorf("policy: invalid floor: %w", err)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	var looser []string
	check := func(field string, ok bool) {
		if !ok {
			looser = append(looser, field)
		}
	}
	check("min_rows", p.MinRows >= floor.MinRows)
	check("k", p.K >= floor.K)
	check("count_purposes", p.CountPurposes.implies(floor.CountPurposes))
	check("activation_purposes", p.ActivationPurposes.implies(floor.ActivationPurposes))
	check("activation_segments", len(floor.ActivationSegments) == 0 ||
		(len(p.ActivationSegments) > 0 && subset(p.ActivationSegments, floor.ActivationSegments)))
	check("rate_granularity", p.RateGranularity.coarseness() >= floor.RateGranularity.coarseness())
	check("dp", floor.DP == nil || (p.DP != nil && p.DP.Epsilon <= floor.DP.Epsilon))
	check("vendor_ids", subset(floor.VendorIDs, p.VendorIDs))
	check("retention_days", p.RetentionDays <= floor.RetentionDays)
	if len(looser) > 0 {
		return &FloorError{Fields: looser}
	}
	return nil
}

// subset reports whether every element of a is in b.
func subset[T comparable](a, b []T) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
