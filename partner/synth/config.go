package synth

import (
	"errors"
	"fmt"
	"slices"

	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// ErrConfig is wrapped by every error New returns.
var ErrConfig = errors.New("synth: invalid config")

// MaxRows bounds the rows of each side. Identifiers embed a number unique
// per person (see identity.go) that must fit eight digits for phones.
const MaxRows = 10_000_000

// Config describes a pair of synthetic audiences. Start from DefaultConfig:
// New checks every field and fills nothing in, so that a zero (no overlap,
// no segments) is always meant.
type Config struct {
	// Seed selects the dataset: the same Config always yields the same
	// rows, byte for byte.
	Seed uint64
	// AdvertiserRows and PartnerRows are the data rows of each file,
	// 1..MaxRows, invalid and duplicate rows included.
	AdvertiserRows, PartnerRows int
	// OverlapFraction is the share (0..1) of the advertiser's people who
	// are also in the partner's audience, capped by the partner's size.
	// Identifiers are matched, not people, so the measured overlap is lower:
	// some rows are invalid or lack consent, and some people appear under a
	// work address on one side and a personal one on the other.
	OverlapFraction float64
	// Segments are the advertiser's segment labels (policy.ValidSegmentName,
	// distinct, at most policy.MaxSegments); each advertiser row carries
	// 0 to 3 of them.
	Segments []string
	// MatchKey is the identifier type of both files: identifier.Email,
	// identifier.Phone (E.164) or identifier.MAID.
	MatchKey identifier.Type
}

// DefaultConfig is the dataset of `blindjoin demo`: 20,000 advertiser rows,
// 50,000 partner rows, a third of the advertiser's people in the partner's
// audience, three segments, matched on email.
func DefaultConfig() Config {
	return Config{
		Seed:            1,
		AdvertiserRows:  20_000,
		PartnerRows:     50_000,
		OverlapFraction: 1.0 / 3,
		Segments:        []string{"high_value", "churn_risk", "new_customers"},
		MatchKey:        identifier.Email,
	}
}

func (c Config) validate() error {
	switch {
	case c.AdvertiserRows < 1 || c.AdvertiserRows > MaxRows:
		return fmt.Errorf("%w: AdvertiserRows must be 1..%d", ErrConfig, MaxRows)
	case c.PartnerRows < 1 || c.PartnerRows > MaxRows:
		return fmt.Errorf("%w: PartnerRows must be 1..%d", ErrConfig, MaxRows)
	case !(c.OverlapFraction >= 0 && c.OverlapFraction <= 1): // also NaN
		return fmt.Errorf("%w: OverlapFraction must be 0..1", ErrConfig)
	case len(c.Segments) > policy.MaxSegments:
		return fmt.Errorf("%w: more than %d segments", ErrConfig, policy.MaxSegments)
	case c.MatchKey != identifier.Email && c.MatchKey != identifier.Phone && c.MatchKey != identifier.MAID:
		return fmt.Errorf("%w: MatchKey must be email, phone or maid", ErrConfig)
	}
	for i, s := range c.Segments {
		if !policy.ValidSegmentName(s) {
			return fmt.Errorf("%w: segment %d is not 1..64 characters of A-Z a-z 0-9 _ . -", ErrConfig, i+1)
		}
		if slices.Contains(c.Segments[:i], s) {
			return fmt.Errorf("%w: segment %d is a duplicate", ErrConfig, i+1)
		}
	}
	return nil
}
