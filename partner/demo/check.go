package demo

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// ErrNoisy is returned by Check for a policy with differential-privacy
// noise: its released counts are not meant to equal the truth.
var ErrNoisy = errors.New("demo: the policy adds noise; released counts cannot be checked against exact ones")

// Verification is the result of Check: what was compared, and every
// difference found. Neither ever holds an identifier.
type Verification struct {
	Checked    []string `json:"checked"`
	Mismatches []string `json:"mismatches"`
}

// OK reports whether everything compared equal.
func (v *Verification) OK() bool { return len(v.Mismatches) == 0 }

func (v *Verification) check(what string, equal bool, got, want any) {
	v.Checked = append(v.Checked, what)
	if !equal {
		v.Mismatches = append(v.Mismatches, fmt.Sprintf("%s: got %v, want %v", what, got, want))
	}
}

// Check compares both parties' summaries and the media partner's
// activation file with the truth under p: row accounting by kind of
// rejection, the overlap and match rate each party was released, the
// advertiser's segment counts, and activation.csv row by row. Released
// values must be what p releases from the exact ones: null below k.
func Check(t *synth.Truth, p policy.Policy, adv, partner flow.Summary, activationCSV string) (*Verification, error) {
	if p.DP != nil {
		return nil, ErrNoisy
	}
	v := &Verification{Mismatches: []string{}}
	v.rows("advertiser", adv, t.Advertiser)
	v.rows("media partner", partner, t.Partner)

	overlap := released(p, int64(t.Overlap))
	v.check("overlap (advertiser)", equalPtr(adv.Overlap, overlap), show(adv.Overlap), show(overlap))
	v.check("overlap (media partner)", equalPtr(partner.Overlap, overlap), show(partner.Overlap), show(overlap))
	advRate, partnerRate := rate(p, overlap, t.Advertiser.Counted), rate(p, overlap, t.Partner.Counted)
	v.check("match rate (advertiser)", equalPtr(adv.MatchRate.Advertiser, advRate) && adv.MatchRate.MediaPartner == nil,
		showRates(adv.MatchRate.Advertiser, adv.MatchRate.MediaPartner), showRates(advRate, nil))
	v.check("match rate (media partner)", equalPtr(partner.MatchRate.MediaPartner, partnerRate) && partner.MatchRate.Advertiser == nil,
		showRates(partner.MatchRate.Advertiser, partner.MatchRate.MediaPartner), showRates(nil, partnerRate))

	for _, name := range t.Segments {
		want := released(p, int64(t.SegmentOverlap[name]))
		v.check("segment "+name+" (advertiser)", equalPtr(adv.Segments[name], want), show(adv.Segments[name]), show(want))
	}
	v.check("segment names (advertiser)", slices.Equal(slices.Sorted(maps.Keys(adv.Segments)), slices.Sorted(slices.Values(t.Segments))),
		slices.Sorted(maps.Keys(adv.Segments)), slices.Sorted(slices.Values(t.Segments)))
	v.check("no segment counts (media partner)", !slices.ContainsFunc(slices.Collect(maps.Values(partner.Segments)), func(c *int64) bool { return c != nil }),
		"counts", "none")

	want := t.Released(int(p.K))
	v.check("activation rows (summary)", partner.ActivationRows != nil && *partner.ActivationRows == int64(len(want)), show(partner.ActivationRows), len(want))
	_, err := CompareActivation(activationCSV, want)
	var mismatch *ActivationMismatch
	if err != nil && !errors.As(err, &mismatch) {
		return nil, err
	}
	v.check(fmt.Sprintf("activation.csv (%d rows)", len(want)), err == nil, err, "the released rows of the truth, in order")
	return v, nil
}

// rows compares one side's row accounting with the truth, kind by kind.
func (v *Verification) rows(side string, s flow.Summary, t synth.SideTruth) {
	v.check("rows read ("+side+")", s.Rows.Read == int64(t.Rows), s.Rows.Read, t.Rows)
	v.check("rows uploaded ("+side+")", s.Rows.Uploaded == int64(t.Counted), s.Rows.Uploaded, t.Counted)
	byKind := map[flow.RejectKind]int64{}
	for reason, n := range s.Rejected {
		byKind[flow.KindOf(reason)] += n
	}
	wantID := int64(sum(t.InvalidIdentifier))
	wantConsent := int64(t.NotConsented + sum(t.InvalidConsent))
	v.check("rows with invalid identifiers ("+side+")", byKind[flow.RejectIdentifier] == wantID, byKind[flow.RejectIdentifier], wantID)
	v.check("rows repeating an identifier ("+side+")", byKind[flow.RejectDuplicate] == int64(t.Duplicate), byKind[flow.RejectDuplicate], t.Duplicate)
	v.check("rows excluded by consent ("+side+")", byKind[flow.RejectConsent] == wantConsent, byKind[flow.RejectConsent], wantConsent)
	v.check("malformed CSV rows ("+side+")", byKind[flow.RejectCSV] == 0, byKind[flow.RejectCSV], 0)
}

// ActivationMismatch is CompareActivation's answer for a well-formed file
// that does not hold the expected rows.
type ActivationMismatch struct {
	Line   int // 1-based line of the file (the header is line 1)
	Reason string
}

func (e *ActivationMismatch) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// CompareActivation streams an activation.csv (header "row,segments", then
// a row number and ';'-separated segment names per line) against want:
// the same rows in the same order, each with the same segments in the same
// order (the file lists them in the session's segment order, so want must
// too). It returns the number of data rows read, and an
// *ActivationMismatch for the first difference; other errors mean the
// file could not be read as CSV.
func CompareActivation(path string, want []synth.Activation) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = 2
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return 0, fmt.Errorf("demo: activation.csv header: %w", err)
	}
	if header[0] != "row" || header[1] != "segments" {
		return 0, &ActivationMismatch{Line: 1, Reason: "the header is not row,segments"}
	}
	n := 0
	var first error
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("demo: activation.csv: %w", err)
		}
		if first == nil {
			if n >= len(want) {
				first = &ActivationMismatch{Line: n + 2, Reason: fmt.Sprintf("more rows than the %d expected", len(want))}
			} else if row, _ := strconv.Atoi(rec[0]); row != want[n].Row || !slices.Equal(strings.Split(rec[1], ";"), want[n].Segments) {
				first = &ActivationMismatch{Line: n + 2, Reason: fmt.Sprintf("not row %d with segments %s", want[n].Row, strings.Join(want[n].Segments, ";"))}
			}
		}
		n++
	}
	if first == nil && n != len(want) {
		first = &ActivationMismatch{Line: n + 2, Reason: fmt.Sprintf("%d rows, want %d", n, len(want))}
	}
	return n, first
}

// released is what p releases of an exact count: nil below k.
func released(p policy.Policy, n int64) *int64 {
	if !p.Releasable(n) {
		return nil
	}
	return &n
}

// rate is the match rate p releases for a released overlap.
func rate(p policy.Policy, overlap *int64, counted int) *string {
	if overlap == nil {
		return nil
	}
	r := p.FormatRate(*overlap, int64(counted))
	return &r
}

func equalPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// show formats a released value: the value, or "suppressed".
func show[T any](p *T) string {
	if p == nil {
		return "suppressed"
	}
	return fmt.Sprint(*p)
}

func showRates(adv, partner *string) string {
	return "advertiser " + show(adv) + ", media partner " + show(partner)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
