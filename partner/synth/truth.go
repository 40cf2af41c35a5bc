package synth

import (
	"errors"
	"fmt"
	"iter"
	"math/bits"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/partner/consent"
	"github.com/blindjoin/blindjoin/partner/consent/tcf"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Truth is what a session over two files must find, computed from the
// plaintext cells. Counts are exact: the clean room's k threshold and
// noise are not applied (see Released for k).
type Truth struct {
	Segments            []string // the advertiser's segment labels
	Advertiser, Partner SideTruth
	// Overlap is the number of distinct identifiers (digests) of counting
	// rows on both sides.
	Overlap int
	// SegmentOverlap counts, per segment, the matched identifiers that a
	// counting advertiser row carrying the segment holds.
	SegmentOverlap map[string]int
	// Activations lists, in row order, the partner rows released for
	// activation and in which segments: the row and a matched advertiser
	// row both pass the activation rule and that advertiser row carries
	// the segment, one of the policy's activation segments.
	Activations []Activation
	// ActivationCounts counts the partner rows in Activations, per
	// segment: the number the clean room compares with k (rows and people
	// alike, since a counted row is the only one of its identifier).
	ActivationCounts map[string]int
}

// SideTruth is the fate of one file's rows. Every row falls in exactly one
// class, tested in this order: invalid identifier, duplicate (the
// normalized identifier is on an earlier row with a valid identifier,
// whatever that row's consent), invalid consent cell, no consent to be
// counted, counted. Counted rows thus hold distinct identifiers, as the
// clean room requires of a set.
type SideTruth struct {
	Rows              int            // data rows (the header excluded)
	InvalidIdentifier map[string]int // by identifier.Error reason
	Duplicate         int            // identifiers an earlier row holds
	InvalidConsent    map[string]int // by kind: ReasonMalformedTC or ReasonInvalidList
	NotConsented      int            // valid cells failing the count rule, empty cells included
	Counted           int            // rows that leave the party, one per identifier
}

// The kinds of invalid consent cells, as SideTruth.InvalidConsent counts
// them: the errors' details (which field, which character) vary from row
// to row and would make as many classes as damaged cells.
const (
	ReasonMalformedTC = "malformed TC string"  // tcf.ErrMalformed
	ReasonInvalidList = "invalid purpose list" // consent.ErrInvalidList
)

// Activation is one partner row released for activation.
type Activation struct {
	Row      int      // 1-based data row of the partner's file
	Segments []string // in Truth.Segments order; shared between rows, do not modify
}

// Truth computes the truth of the dataset's files under p.
func (d *Dataset) Truth(p policy.Policy) (*Truth, error) {
	return ComputeTruth(p, d.cfg.MatchKey, d.cfg.Segments, d.Advertiser(), d.Partner())
}

// advEntry is what the advertiser's counting row says about its digest.
type advEntry struct {
	member     uint64 // segments of the row
	activation uint64 // the same, if the row passes the activation rule
}

// ComputeTruth computes the truth of two files, given as rows, matched on
// key under p; segments are the session's segment labels (labels of other
// names in a row are ignored). It uses only identifier normalization (zero
// Normalizer: phones in E.164), the consent facade and the policy's rules,
// read field by field: none of the blinding, the wire format, the clean
// room's join or policy.Evaluator, so that it can check them.
//
// Memory is one map entry per counted advertiser digest plus one per
// distinct valid digest of the side being read (about 100 bytes each),
// plus the activations.
func ComputeTruth(p policy.Policy, key identifier.Type, segments []string, adv iter.Seq[AdvertiserRow], partner iter.Seq[PartnerRow]) (*Truth, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	released, err := p.SegmentMask(segments)
	if err != nil {
		return nil, err
	}
	t := &Truth{
		Segments:         slices.Clone(segments),
		Advertiser:       newSideTruth(),
		Partner:          newSideTruth(),
		SegmentOverlap:   map[string]int{},
		ActivationCounts: map[string]int{},
	}
	index := make(map[string]int, len(segments))
	for j, s := range segments {
		index[s] = j
		t.SegmentOverlap[s], t.ActivationCounts[s] = 0, 0
	}

	advertiser := map[identifier.Digest]advEntry{}
	seen := map[identifier.Digest]struct{}{}
	for row := range adv {
		digest, facts, ok, err := t.Advertiser.classify(p, key, row.ID, row.Consent, seen)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		e := advEntry{member: segmentMask(row.Segments, index)}
		if activates(p, facts) {
			e.activation = e.member
		}
		advertiser[digest] = e
	}

	names := map[uint64][]string{}
	clear(seen)
	number := 0
	for row := range partner {
		number++
		digest, facts, ok, err := t.Partner.classify(p, key, row.ID, row.Consent, seen)
		if err != nil {
			return nil, err
		}
		e, matched := advertiser[digest]
		if !ok || !matched {
			continue
		}
		t.Overlap++
		t.count(t.SegmentOverlap, e.member)
		if mask := e.activation & released; mask != 0 && activates(p, facts) {
			if names[mask] == nil {
				names[mask] = t.labels(mask)
			}
			t.Activations = append(t.Activations, Activation{Row: number, Segments: names[mask]})
			t.count(t.ActivationCounts, mask)
		}
	}
	return t, nil
}

func newSideTruth() SideTruth {
	return SideTruth{InvalidIdentifier: map[string]int{}, InvalidConsent: map[string]int{}}
}

// classify files one row and, for a counted row, returns its digest and
// consent facts with ok set. seen holds the valid digests of the side's
// earlier rows, and gains this row's.
func (s *SideTruth) classify(p policy.Policy, key identifier.Type, id, cell string, seen map[identifier.Digest]struct{}) (identifier.Digest, consent.Facts, bool, error) {
	s.Rows++
	digest, _, err := identifier.Normalizer{}.Digest(key, id)
	var invalid *identifier.Error
	switch {
	case errors.As(err, &invalid):
		s.InvalidIdentifier[invalid.Reason]++
		return digest, consent.Facts{}, false, nil
	case err != nil:
		return digest, consent.Facts{}, false, fmt.Errorf("synth: truth: %w", err)
	}
	if _, dup := seen[digest]; dup {
		s.Duplicate++
		return digest, consent.Facts{}, false, nil
	}
	seen[digest] = struct{}{}
	facts, err := consent.ParseCell(cell)
	switch {
	case errors.Is(err, tcf.ErrMalformed):
		s.InvalidConsent[ReasonMalformedTC]++
		return digest, facts, false, nil
	case errors.Is(err, consent.ErrInvalidList):
		s.InvalidConsent[ReasonInvalidList]++
		return digest, facts, false, nil
	case err != nil:
		return digest, facts, false, fmt.Errorf("synth: truth: %w", err)
	case !counts(p, facts):
		s.NotConsented++
		return digest, facts, false, nil
	}
	s.Counted++
	return digest, facts, true, nil
}

// counts applies the policy's count rule: each purpose by consent or
// legitimate interest (the facts never report one TCF 2.2 forbids), and
// consent for every listed vendor.
func counts(p policy.Policy, f consent.Facts) bool {
	return holds(p.CountPurposes, func(id int) bool { return f.PurposeConsent(id) || f.PurposeLI(id) }) &&
		f.VendorsConsented(p.VendorIDs)
}

// activates applies the activation rule, by consent alone, to a row that
// must count as well.
func activates(p policy.Policy, f consent.Facts) bool {
	return counts(p, f) && holds(p.ActivationPurposes, f.PurposeConsent)
}

func holds(r policy.Rule, has func(int) bool) bool {
	if len(r.AnyOf) > 0 {
		return slices.ContainsFunc(r.AnyOf, has)
	}
	for _, id := range r.AllOf {
		if !has(id) {
			return false
		}
	}
	return len(r.AllOf) > 0
}

// segmentMask reads a segments cell as csvin does: labels separated by
// ';', trimmed, empty ones dropped.
func segmentMask(cell string, index map[string]int) uint64 {
	var mask uint64
	for cell != "" {
		var label string
		label, cell, _ = strings.Cut(cell, ";")
		if j, ok := index[strings.TrimSpace(label)]; ok {
			mask |= 1 << j
		}
	}
	return mask
}

// labels names the segments of mask.
func (t *Truth) labels(mask uint64) []string {
	out := make([]string, 0, bits.OnesCount64(mask))
	for ; mask != 0; mask &= mask - 1 {
		out = append(out, t.Segments[bits.TrailingZeros64(mask)])
	}
	return out
}

// count adds one to counts of every segment of mask.
func (t *Truth) count(counts map[string]int, mask uint64) {
	for ; mask != 0; mask &= mask - 1 {
		counts[t.Segments[bits.TrailingZeros64(mask)]]++
	}
}

// Released is the activation the media partner receives at threshold k:
// only segments with at least k rows, and only rows left with a segment.
func (t *Truth) Released(k int) []Activation {
	var out []Activation
	for _, a := range t.Activations {
		kept := slices.DeleteFunc(slices.Clone(a.Segments), func(s string) bool { return t.ActivationCounts[s] < k })
		if len(kept) > 0 {
			out = append(out, Activation{Row: a.Row, Segments: kept})
		}
	}
	return out
}
