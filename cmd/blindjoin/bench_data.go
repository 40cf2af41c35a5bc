package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// benchConsent is the consent cell of every bench row: an explicit purpose
// list that lets the row count and be activated under the default policy.
// The synthetic TC strings would only add the decoding of a few distinct
// strings (the flow caches them) and make a fifth of the rows stay home.
const benchConsent = "1;3;4;7;9"

// benchSegments are the advertiser's segments in the bench session.
var benchSegments = []string{"high_value", "churn_risk", "new_customers"}

// benchData is the pair of input files and what a session over them must
// find.
type benchData struct {
	advFile, partnerFile string
	truth                *synth.Truth
}

// makeBenchData writes the two CSV files into dir and computes their truth
// from the plaintext (partner/synth), independently of the whole stack
// being measured.
func makeBenchData(dir string, rows int, overlap float64, pol policy.Policy) (*benchData, error) {
	d, err := synth.New(synth.Config{
		Seed:            1,
		AdvertiserRows:  rows,
		PartnerRows:     rows,
		OverlapFraction: overlap,
		Segments:        benchSegments,
		MatchKey:        identifier.Email,
	})
	if err != nil {
		return nil, err
	}
	b := &benchData{advFile: filepath.Join(dir, "advertiser.csv"), partnerFile: filepath.Join(dir, "partner.csv")}
	ac, pc := d.AdvertiserColumns(), d.PartnerColumns()
	err = writeBenchCSV(b.advFile, []string{ac.ID, ac.Segments, ac.Consent}, benchAdvertiserRows(d), func(r synth.AdvertiserRow, rec []string) {
		rec[0], rec[1], rec[2] = r.ID, r.Segments, r.Consent
	})
	if err != nil {
		return nil, err
	}
	err = writeBenchCSV(b.partnerFile, []string{"user_id", pc.ID, pc.Consent}, benchPartnerRows(d), func(r synth.PartnerRow, rec []string) {
		rec[0], rec[1], rec[2] = r.UserID, r.ID, r.Consent
	})
	if err != nil {
		return nil, err
	}
	b.truth, err = synth.ComputeTruth(pol, identifier.Email, benchSegments, benchAdvertiserRows(d), benchPartnerRows(d))
	return b, err
}

// benchAdvertiserRows and benchPartnerRows are the synthetic rows with
// the bench's consent cell.
func benchAdvertiserRows(d *synth.Dataset) iter.Seq[synth.AdvertiserRow] {
	return func(yield func(synth.AdvertiserRow) bool) {
		for r := range d.Advertiser() {
			r.Consent = benchConsent
			if !yield(r) {
				return
			}
		}
	}
}

func benchPartnerRows(d *synth.Dataset) iter.Seq[synth.PartnerRow] {
	return func(yield func(synth.PartnerRow) bool) {
		for r := range d.Partner() {
			r.Consent = benchConsent
			if !yield(r) {
				return
			}
		}
	}
}

func writeBenchCSV[R any](path string, header []string, rows iter.Seq[R], fill func(R, []string)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	cw.Write(header)
	rec := make([]string, len(header))
	for r := range rows {
		fill(r, rec)
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// benchCorrectness compares what the parties received with the truth.
type benchCorrectness struct {
	ExpectedOverlap int    `json:"expected_overlap"`
	AdvertiserSaw   *int64 `json:"advertiser_overlap"`
	PartnerSaw      *int64 `json:"media_partner_overlap"`
	OverlapCorrect  bool   `json:"overlap_correct"`
	SegmentsCorrect bool   `json:"segments_correct"`
	// ActivationRows is the number of rows the media partner's
	// activation.csv holds; ActivationCorrect says whether they are
	// exactly the expected rows with the expected segments.
	ExpectedActivationRows int      `json:"expected_activation_rows"`
	ActivationRows         int      `json:"activation_rows"`
	ActivationCorrect      bool     `json:"activation_correct"`
	Problems               []string `json:"problems,omitempty"`
}

// check compares the parties' released results (their summaries and the
// partner's activation.csv) with the truth at threshold k.
func (b *benchData) check(k int64, adv, pub benchPartyOutput, activationFile string) benchCorrectness {
	t := b.truth
	c := benchCorrectness{ExpectedOverlap: t.Overlap, AdvertiserSaw: adv.Summary.Overlap, PartnerSaw: pub.Summary.Overlap}
	want := benchReleased(int64(t.Overlap), k)
	c.OverlapCorrect = benchSameCount(want, adv.Summary.Overlap) && benchSameCount(want, pub.Summary.Overlap)
	if !c.OverlapCorrect {
		c.Problems = append(c.Problems, "overlap differs from the truth")
	}
	c.SegmentsCorrect = len(adv.Summary.Segments) == len(t.Segments)
	for _, name := range t.Segments {
		if !benchSameCount(benchReleased(int64(t.SegmentOverlap[name]), k), adv.Summary.Segments[name]) {
			c.SegmentsCorrect = false
			c.Problems = append(c.Problems, "segment "+name+" differs from the truth")
		}
	}
	expected := t.Released(int(k))
	c.ExpectedActivationRows = len(expected)
	n, err := benchCompareActivation(activationFile, expected)
	c.ActivationRows = n
	c.ActivationCorrect = err == nil
	if err != nil {
		c.Problems = append(c.Problems, "activation.csv: "+err.Error())
	}
	return c
}

// benchReleased is the count the policy releases: nil below k.
func benchReleased(n, k int64) *int64 {
	if n < k {
		return nil
	}
	return &n
}

func benchSameCount(want, got *int64) bool {
	return (want == nil) == (got == nil) && (want == nil || *want == *got)
}

// benchCompareActivation reads activation.csv (row,segments) and compares it,
// row by row, with the expected activations; it returns the rows read.
func benchCompareActivation(path string, want []synth.Activation) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = 2
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	n := 0
	var firstErr error
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		if firstErr == nil {
			if n >= len(want) {
				firstErr = fmt.Errorf("more rows than the %d expected", len(want))
			} else if row, _ := strconv.Atoi(rec[0]); row != want[n].Row || !slices.Equal(strings.Split(rec[1], ";"), want[n].Segments) {
				firstErr = fmt.Errorf("line %d is not the expected row %d", n+2, want[n].Row)
			}
		}
		n++
	}
	if firstErr == nil && n != len(want) {
		firstErr = fmt.Errorf("%d rows, want %d", n, len(want))
	}
	return n, firstErr
}
