package bench

import (
	"bufio"
	"io"
	"iter"
	"os"
	"path/filepath"

	"github.com/blindjoin/blindjoin/partner/demo"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// rowConsent is the consent cell of every bench row: an explicit purpose
// list that lets the row count and be activated under the default policy.
// The synthetic TC strings would only add the decoding of a few distinct
// strings (the flow caches them) and make a fifth of the rows stay home.
const rowConsent = "1;3;4;7;9"

// Segments are the advertiser's segments in the bench session.
var Segments = []string{"high_value", "churn_risk", "new_customers"}

// data is the pair of input files and what a session over them must
// find: truth for a one-key session, keyed for a multi-key one.
type data struct {
	advFile, partnerFile       string
	advColumns, partnerColumns []string // the party flags that name the identifier columns
	truth                      *synth.Truth
	keyed                      *synth.KeyedTruth
}

// makeData writes the two CSV files into dir and computes their truth
// from the plaintext (partner/synth), independently of the whole stack
// being measured.
func makeData(dir string, o Options, pol policy.Policy) (*data, error) {
	if len(o.Keys) > 1 {
		return makeKeyedData(dir, o, pol)
	}
	d, err := synth.New(synth.Config{
		Seed:            1,
		AdvertiserRows:  o.Rows,
		PartnerRows:     o.Rows,
		OverlapFraction: o.Overlap,
		Segments:        Segments,
		MatchKey:        identifier.Email,
	})
	if err != nil {
		return nil, err
	}
	b := &data{advFile: filepath.Join(dir, "advertiser.csv"), partnerFile: filepath.Join(dir, "partner.csv"),
		advColumns: []string{"--id-column", "email"}, partnerColumns: []string{"--id-column", "user_email"}}
	err = writeFile(b.advFile, func(w io.Writer) error { return d.WriteAdvertiserRows(w, advertiserRows(d)) })
	if err != nil {
		return nil, err
	}
	err = writeFile(b.partnerFile, func(w io.Writer) error { return d.WritePartnerRows(w, partnerRows(d)) })
	if err != nil {
		return nil, err
	}
	b.truth, err = synth.ComputeTruth(pol, identifier.Email, Segments, advertiserRows(d), partnerRows(d))
	return b, err
}

// advertiserRows and partnerRows are the synthetic rows with
// the bench's consent cell.
func advertiserRows(d *synth.Dataset) iter.Seq[synth.AdvertiserRow] {
	return func(yield func(synth.AdvertiserRow) bool) {
		for r := range d.Advertiser() {
			r.Consent = rowConsent
			if !yield(r) {
				return
			}
		}
	}
}

func partnerRows(d *synth.Dataset) iter.Seq[synth.PartnerRow] {
	return func(yield func(synth.PartnerRow) bool) {
		for r := range d.Partner() {
			r.Consent = rowConsent
			if !yield(r) {
				return
			}
		}
	}
}

// writeFile creates path and writes it through a large buffer.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// Correctness is what the parties received next to the truth. Every
// released count, match rate, row account and activation row is compared
// by demo.Check; the counts here are for the report.
type Correctness struct {
	ExpectedOverlap        int    `json:"expected_overlap"`
	AdvertiserSaw          *int64 `json:"advertiser_overlap"`
	PartnerSaw             *int64 `json:"media_partner_overlap"`
	ExpectedActivationRows int    `json:"expected_activation_rows"`
	ActivationRows         *int64 `json:"activation_rows"`
	// Checked counts the comparisons made; Problems lists those that
	// failed (empty when everything is exact).
	Checked  int      `json:"checked"`
	Problems []string `json:"problems,omitempty"`
}

// check compares the parties' released results (their summaries and the
// partner's activation.csv) with the truth under pol.
func (b *data) check(pol policy.Policy, adv, partner partyOutput, activationFile string) (Correctness, error) {
	if b.keyed != nil {
		return b.checkKeyed(pol, adv, partner)
	}
	t := b.truth
	c := Correctness{
		ExpectedOverlap: t.Overlap, AdvertiserSaw: adv.Summary.Overlap, PartnerSaw: partner.Summary.Overlap,
		ExpectedActivationRows: len(t.Released(int(pol.K))), ActivationRows: partner.Summary.ActivationRows,
	}
	v, err := demo.Check(t, pol, adv.Summary, partner.Summary, activationFile)
	if err != nil {
		return c, err
	}
	c.Checked, c.Problems = len(v.Checked), v.Mismatches
	return c, nil
}
