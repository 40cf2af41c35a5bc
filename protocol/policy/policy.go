package policy

// Granularity is how finely match rates are released.
type Granularity string

const (
	// Percent releases whole percents, rounded down.
	Percent Granularity = "percent"
	// Decile releases multiples of 10%, rounded down: coarser than Percent.
	Decile Granularity = "decile"
)

// coarseness orders granularities; an unknown one ranks below Percent so
// that it is never taken as stricter.
func (g Granularity) coarseness() int {
	switch g {
	case Percent:
		return 1
	case Decile:
		return 2
	}
	return 0
}

// Rule is a condition on TCF purposes: exactly one of AnyOf and AllOf is
// non-empty.
type Rule struct {
	AnyOf []int
	AllOf []int
}

// DP enables differential-privacy noise on every released count. Epsilon is
// the total for one session's release, split over its counts.
type DP struct {
	Epsilon float64
}

// Policy is a session policy. Use Default or Parse to get one; a Policy
// built field by field should pass Validate before use.
type Policy struct {
	MinRows            int64    // minimum rows per party's upload
	K                  int64    // released counts below K are suppressed
	CountPurposes      Rule     // a row counts in the overlap only if this holds
	ActivationPurposes Rule     // a matched row is activated only if this holds (consent only)
	ActivationSegments []string // segments released for activation; empty = all
	RateGranularity    Granularity
	DP                 *DP   // nil: no noise
	VendorIDs          []int // TCF vendors that must all have consent; empty = no vendor check
	RetentionDays      int   // blinded data is deleted this many days after the results
	// MatchKeys is the ordered list of keys of a multi-key session (the
	// waterfall's rounds); empty means the session's one match_key.
	MatchKeys  []string
	Duplicates Duplicates // what a party does with a value on several of its rows
	Conflicts  Conflicts  // whether earlier keys on both rows block a link
}

// Default returns the default policy of DESIGN.md sections 4 and 5.
func Default() Policy {
	return Policy{
		MinRows:            1000,
		K:                  50,
		CountPurposes:      Rule{AnyOf: []int{7, 9}},
		ActivationPurposes: Rule{AllOf: []int{1, 3, 4}},
		ActivationSegments: []string{},
		RateGranularity:    Percent,
		VendorIDs:          []int{},
		RetentionDays:      30,
		Duplicates:         DuplicatesFirst,
		Conflicts:          ConflictsBlock,
	}
}

// Releasable reports whether a count may be released (it is at least K).
// Compare the count that would be released, after any noise, so that the
// threshold is post-processing of the noisy value.
func (p Policy) Releasable(count int64) bool {
	return count >= p.K
}
