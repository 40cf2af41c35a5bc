package policy

import "strconv"

// Limits on policy values.
const (
	MaxCount         = 1_000_000_000 // upper bound of min_rows and k
	MinEpsilon       = 0.01          // below it every count drowns in noise
	MaxEpsilon       = 20            // AWS Clean Rooms' upper bound
	MaxVendorID      = 65535         // TCF vendor ids are 16-bit
	MaxVendorIDs     = 1024
	MaxSegments      = 64 // segment indexes are 0..63 on the wire
	MaxSegmentName   = 64
	MaxRetentionDays = 3650
)

// Validate checks every field of p and returns the first problem as an
// *Error. Parse calls it; call it on a Policy built in code.
func (p Policy) Validate() error {
	if p.MinRows < 1 || p.MinRows > MaxCount {
		return &Error{"min_rows", "must be 1.." + strconv.Itoa(MaxCount)}
	}
	if p.K < 1 || p.K > MaxCount {
		return &Error{"k", "must be 1.." + strconv.Itoa(MaxCount)}
	}
	if err := p.CountPurposes.validate("count_purposes"); err != nil {
		return err
	}
	if err := p.ActivationPurposes.validate("activation_purposes"); err != nil {
		return err
	}
	if err := validateSegments(p.ActivationSegments); err != nil {
		return err
	}
	if p.RateGranularity.coarseness() == 0 {
		return &Error{"rate_granularity", `must be "percent" or "decile"`}
	}
	if p.DP != nil && !(p.DP.Epsilon >= MinEpsilon && p.DP.Epsilon <= MaxEpsilon) { // !(...) also catches NaN
		return &Error{"dp.epsilon", "must be 0.01..20"}
	}
	if err := validateVendors(p.VendorIDs); err != nil {
		return err
	}
	if p.RetentionDays < 1 || p.RetentionDays > MaxRetentionDays {
		return &Error{"retention_days", "must be 1..3650"}
	}
	if err := validateKeys(p.MatchKeys); err != nil {
		return err
	}
	if p.Duplicates != DuplicatesFirst && p.Duplicates != DuplicatesDrop {
		return &Error{"duplicates", `must be "first" or "drop"`}
	}
	if p.Conflicts != ConflictsBlock && p.Conflicts != ConflictsIgnore {
		return &Error{"conflicts", `must be "block" or "ignore"`}
	}
	return nil
}

func (r Rule) validate(field string) error {
	switch {
	case len(r.AnyOf) > 0 && len(r.AllOf) > 0:
		return &Error{field, "must have only one of any_of and all_of"}
	case len(r.AnyOf) > 0:
		field += ".any_of"
	case len(r.AllOf) > 0:
		field += ".all_of"
	default:
		return &Error{field, "needs a non-empty any_of or all_of"}
	}
	ps := r.purposes()
	if len(ps) > MaxPurpose {
		return &Error{field, "lists more purposes than TCF 2.2 defines"}
	}
	return validateIDs(field, ps, 1, MaxPurpose, "a TCF 2.2 purpose (1..11)")
}

func validateVendors(ids []int) error {
	if len(ids) > MaxVendorIDs {
		return &Error{"vendor_ids", "more than " + strconv.Itoa(MaxVendorIDs) + " vendors"}
	}
	return validateIDs("vendor_ids", ids, 1, MaxVendorID, "a vendor id (1..65535)")
}

// validateIDs checks that ids are in [lo, hi] and distinct.
func validateIDs(field string, ids []int, lo, hi int, what string) error {
	seen := make(map[int]bool, len(ids))
	for i, id := range ids {
		f := field + "[" + strconv.Itoa(i) + "]"
		if id < lo || id > hi {
			return &Error{f, "is not " + what}
		}
		if seen[id] {
			return &Error{f, "is a duplicate"}
		}
		seen[id] = true
	}
	return nil
}

func validateSegments(names []string) error {
	if len(names) > MaxSegments {
		return &Error{"activation_segments", "more than 64 segments"}
	}
	seen := make(map[string]bool, len(names))
	for i, name := range names {
		f := "activation_segments[" + strconv.Itoa(i) + "]"
		if reason := segmentNameProblem(name); reason != "" {
			return &Error{f, reason}
		}
		if seen[name] {
			return &Error{f, "is a duplicate"}
		}
		seen[name] = true
	}
	return nil
}
