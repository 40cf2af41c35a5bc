package bench

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// makeKeyedData writes the files of a multi-key session (every row with an
// e-mail, phone and MAID column, some blank) and computes their truth with
// synth.ComputeKeyedTruth, from the plaintext.
func makeKeyedData(dir string, o Options, pol policy.Policy) (*data, error) {
	adv, partner, err := synth.KeyedAudiences(synth.KeyedConfig{Seed: 1, Rows: o.Rows, OverlapFraction: o.Overlap, Segments: Segments})
	if err != nil {
		return nil, err
	}
	b := &data{advFile: filepath.Join(dir, "advertiser.csv"), partnerFile: filepath.Join(dir, "partner.csv")}
	for _, k := range o.Keys {
		col := []string{"--key", k + "=" + k}
		b.advColumns, b.partnerColumns = append(b.advColumns, col...), append(b.partnerColumns, col...)
	}
	if err := writeFile(b.advFile, func(w io.Writer) error { return synth.WriteKeyedCSV(w, adv, rowConsent, true) }); err != nil {
		return nil, err
	}
	if err := writeFile(b.partnerFile, func(w io.Writer) error { return synth.WriteKeyedCSV(w, partner, rowConsent, false) }); err != nil {
		return nil, err
	}
	b.keyed = synth.ComputeKeyedTruth(o.Keys, pol.Duplicates, pol.Conflicts, Segments, adv, partner)
	return b, nil
}

// checkKeyed compares what the parties received with the multi-key truth:
// rows uploaded, overlap, the pairs of each round, and the advertiser's
// segment counts (every count is above k at bench sizes; one below would
// show as a mismatch).
func (b *data) checkKeyed(pol policy.Policy, adv, partner partyOutput) Correctness {
	t := b.keyed
	c := Correctness{ExpectedOverlap: t.Overlap, AdvertiserSaw: adv.Summary.Overlap, PartnerSaw: partner.Summary.Overlap}
	check := func(what string, ok bool) {
		c.Checked++
		if !ok {
			c.Problems = append(c.Problems, what)
		}
	}
	rounds := make([]api.KeyPairs, len(t.Keys))
	for i, k := range t.Keys {
		rounds[i] = api.KeyPairs{Key: k, Pairs: int64(t.Rounds[i])}
	}
	for _, side := range []struct {
		name string
		out  partyOutput
		rows int
	}{{"advertiser", adv, t.AdvertiserRows}, {"media partner", partner, t.PartnerRows}} {
		s := side.out.Summary
		check(fmt.Sprintf("%s rows uploaded %d, truth %d", side.name, s.Rows.Uploaded, side.rows), s.Rows.Uploaded == int64(side.rows))
		check(fmt.Sprintf("%s overlap %v, truth %d", side.name, countText(s.Overlap), t.Overlap), s.Overlap != nil && *s.Overlap == int64(t.Overlap))
		check(fmt.Sprintf("%s overlap_by_key %v, truth %v", side.name, s.OverlapByKey, rounds), slices.Equal(s.OverlapByKey, rounds))
	}
	for _, name := range Segments {
		got, want := adv.Summary.Segments[name], t.SegmentOverlap[name]
		check(fmt.Sprintf("segment %s %v, truth %d", name, countText(got), want), got != nil && *got == int64(want) || got == nil && !pol.Releasable(int64(want)))
	}
	// Every row has activation consent, so a linked partner row is
	// released when its advertiser row is in a segment of at least k pairs.
	for _, segs := range t.AdvertiserSegmentsOfPR {
		for s := range strings.SplitSeq(segs, ";") {
			if n, ok := t.SegmentOverlap[s]; ok && pol.Releasable(int64(n)) {
				c.ExpectedActivationRows++
				break
			}
		}
	}
	c.ActivationRows = partner.Summary.ActivationRows
	check(fmt.Sprintf("activation rows %v, truth %d", countText(c.ActivationRows), c.ExpectedActivationRows),
		c.ActivationRows != nil && *c.ActivationRows == int64(c.ExpectedActivationRows))
	return c
}
