package bench

import (
	"io"
	"path/filepath"

	"github.com/blindjoin/blindjoin/partner/demo"
	"github.com/blindjoin/blindjoin/partner/synth"
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

// checkKeyed compares what the parties received with the multi-key truth
// (demo.CheckKeyed).
func (b *data) checkKeyed(pol policy.Policy, adv, partner partyOutput) (Correctness, error) {
	c := Correctness{ExpectedOverlap: b.keyed.Overlap, AdvertiserSaw: adv.Summary.Overlap, PartnerSaw: partner.Summary.Overlap,
		ActivationRows: partner.Summary.ActivationRows, ExpectedActivationRows: b.keyed.ActivationRows(pol.K)}
	v, err := demo.CheckKeyed(b.keyed, pol, adv.Summary, partner.Summary)
	if err != nil {
		return c, err
	}
	c.Checked, c.Problems = len(v.Checked), v.Mismatches
	return c, nil
}
