package policy

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// canonicalPolicy fixes the field order and presence of the canonical form.
type canonicalPolicy struct {
	MinRows            int64         `json:"min_rows"`
	K                  int64         `json:"k"`
	CountPurposes      canonicalRule `json:"count_purposes"`
	ActivationPurposes canonicalRule `json:"activation_purposes"`
	ActivationSegments []string      `json:"activation_segments"`
	RateGranularity    Granularity   `json:"rate_granularity"`
	DP                 *canonicalDP  `json:"dp"`
	VendorIDs          []int         `json:"vendor_ids"`
	RetentionDays      int           `json:"retention_days"`
	// The multi-key fields are left out at their defaults, so that every
	// policy written before them keeps its hash.
	MatchKeys  []string   `json:"match_keys,omitempty"`
	Duplicates Duplicates `json:"duplicates,omitempty"`
	Conflicts  Conflicts  `json:"conflicts,omitempty"`
}

type canonicalRule struct {
	AnyOf []int `json:"any_of,omitempty"`
	AllOf []int `json:"all_of,omitempty"`
}

type canonicalDP struct {
	Epsilon float64 `json:"epsilon"`
}

// Canonical returns the canonical JSON encoding of p (see the package
// documentation). It encodes p as it is: policies from Parse and Default
// have every default filled in.
func (p Policy) Canonical() []byte {
	c := canonicalPolicy{
		MinRows:            p.MinRows,
		K:                  p.K,
		CountPurposes:      canonicalRule{AnyOf: sortedSet(p.CountPurposes.AnyOf), AllOf: sortedSet(p.CountPurposes.AllOf)},
		ActivationPurposes: canonicalRule{AnyOf: sortedSet(p.ActivationPurposes.AnyOf), AllOf: sortedSet(p.ActivationPurposes.AllOf)},
		ActivationSegments: sortedSet(p.ActivationSegments),
		RateGranularity:    p.RateGranularity,
		VendorIDs:          sortedSet(p.VendorIDs),
		RetentionDays:      p.RetentionDays,
		MatchKeys:          p.MatchKeys, // an order, not a set
	}
	if p.Duplicates != DuplicatesFirst {
		c.Duplicates = p.Duplicates
	}
	if p.Conflicts != ConflictsBlock {
		c.Conflicts = p.Conflicts
	}
	if p.DP != nil {
		c.DP = &canonicalDP{Epsilon: p.DP.Epsilon}
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Only a NaN or infinite epsilon can fail, which Validate refuses;
		// encode such a policy as null so that it matches nothing valid.
		return []byte("null")
	}
	return b
}

// MarshalJSON encodes p in canonical form; an invalid policy is an error,
// so none reaches the wire.
func (p Policy) MarshalJSON() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p.Canonical(), nil
}

// Hash returns the lowercase hex SHA-256 of Canonical: the value a media
// partner names to accept a policy.
func (p Policy) Hash() string {
	sum := sha256.Sum256(p.Canonical())
	return hex.EncodeToString(sum[:])
}

// sortedSet returns a sorted copy of s without duplicates; never nil, so
// that an empty set encodes as [] rather than null.
func sortedSet[T cmp.Ordered](s []T) []T {
	out := slices.Clone(s)
	if out == nil {
		out = []T{}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
