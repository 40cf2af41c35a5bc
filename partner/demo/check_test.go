package demo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// fixture is a small dataset's truth under a policy whose k suppresses
// some counts, and the summaries and activation file a correct session
// would produce, written out by hand from the truth.
type fixture struct {
	truth        *synth.Truth
	pol          policy.Policy
	adv, partner flow.Summary
	act          string // activation.csv contents
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	cfg := synth.DefaultConfig()
	cfg.Seed, cfg.AdvertiserRows, cfg.PartnerRows = 7, 3000, 6000
	d, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pol, _ := policy.Parse([]byte(`{"k": 140}`))
	tr, err := d.Truth(pol)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{truth: tr, pol: pol}
	overlap := int64(tr.Overlap)
	side := func(s synth.SideTruth) flow.Summary {
		rejected := map[string]int64{"no lawful basis for counting (purposes 7/9)": int64(s.NotConsented), "duplicate email": int64(s.Duplicate)}
		for reason, n := range s.InvalidIdentifier {
			rejected["invalid email: "+reason] += int64(n)
		}
		for _, n := range s.InvalidConsent {
			rejected["unreadable consent cell (no consent assumed)"] += int64(n)
		}
		return flow.Summary{
			Rows:     flow.RowCounts{Read: int64(s.Rows), Uploaded: int64(s.Counted), Rejected: int64(s.Rows - s.Counted)},
			Rejected: rejected, Overlap: &overlap, Segments: map[string]*int64{},
		}
	}
	f.adv, f.partner = side(tr.Advertiser), side(tr.Partner)
	advRate := pol.FormatRate(overlap, int64(tr.Advertiser.Counted))
	partnerRate := pol.FormatRate(overlap, int64(tr.Partner.Counted))
	f.adv.MatchRate.Advertiser, f.partner.MatchRate.MediaPartner = &advRate, &partnerRate
	for name, n := range tr.SegmentOverlap {
		f.adv.Segments[name] = nil
		if int64(n) >= pol.K {
			v := int64(n)
			f.adv.Segments[name] = &v
		}
	}
	var b strings.Builder
	b.WriteString("row,segments\n")
	released := tr.Released(int(pol.K))
	for _, a := range released {
		fmt.Fprintf(&b, "%d,%s\n", a.Row, strings.Join(a.Segments, ";"))
	}
	n := int64(len(released))
	f.partner.ActivationRows = &n
	f.act = b.String()
	return f
}

func (f fixture) check(t *testing.T) *Verification {
	t.Helper()
	path := filepath.Join(t.TempDir(), "activation.csv")
	if err := os.WriteFile(path, []byte(f.act), 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := Check(f.truth, f.pol, f.adv, f.partner, path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCheck(t *testing.T) {
	base := newFixture(t)
	if v := base.check(t); !v.OK() || len(v.Checked) < 15 {
		t.Fatalf("a correct session: %d checks, mismatches %v", len(v.Checked), v.Mismatches)
	}
	nullCount := 0
	for _, c := range base.adv.Segments {
		if c == nil {
			nullCount++
		}
	}
	if nullCount == 0 {
		t.Fatal("the fixture suppresses no segment")
	}

	for _, tc := range []struct {
		name   string
		tamper func(f *fixture)
		want   string
	}{
		{"overlap off by one", func(f *fixture) { n := *f.adv.Overlap + 1; f.adv.Overlap = &n }, "overlap (advertiser)"},
		{"overlap suppressed", func(f *fixture) { f.partner.Overlap = nil }, "overlap (media partner)"},
		{"other party's rate", func(f *fixture) { f.partner.MatchRate.Advertiser = f.adv.MatchRate.Advertiser }, "match rate (media partner)"},
		{"suppressed segment released", func(f *fixture) {
			for name, c := range f.adv.Segments {
				if c == nil {
					n := int64(f.truth.SegmentOverlap[name])
					f.adv.Segments[name] = &n
				}
			}
		}, "segment "},
		{"segment counts to the partner", func(f *fixture) { f.partner.Segments = f.adv.Segments }, "no segment counts"},
		{"consent rejection counted as identifier", func(f *fixture) {
			f.adv.Rejected["invalid email: x"]++
			f.adv.Rejected["no lawful basis for counting (purposes 7/9)"]--
		}, "rows excluded by consent (advertiser)"},
		{"duplicate kept", func(f *fixture) {
			f.partner.Rejected["duplicate email"]--
			f.partner.Rows.Uploaded++
		}, "rows repeating an identifier (media partner)"},
		{"activation row missing", func(f *fixture) {
			lines := strings.SplitAfter(f.act, "\n")
			f.act = strings.Join(append(lines[:1], lines[2:]...), "")
		}, "activation.csv"},
		{"activation segment swapped", func(f *fixture) {
			f.act = strings.Replace(f.act, "high_value", "churn_risk", 1)
		}, "activation.csv"},
		{"activation rows out of order", func(f *fixture) {
			lines := strings.SplitAfter(f.act, "\n")
			lines[1], lines[2] = lines[2], lines[1]
			f.act = strings.Join(lines, "")
		}, "activation.csv"},
		{"activation header", func(f *fixture) {
			f.act = strings.Replace(f.act, "row,segments", "row,segment", 1)
		}, "activation.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.tamper(&f)
			v := f.check(t)
			if v.OK() || !strings.Contains(strings.Join(v.Mismatches, "\n"), tc.want) {
				t.Errorf("mismatches %v, want one about %q", v.Mismatches, tc.want)
			}
		})
	}

	noisy := base
	noisy.pol.DP = &policy.DP{Epsilon: 1}
	if _, err := Check(noisy.truth, noisy.pol, noisy.adv, noisy.partner, "unused"); !errors.Is(err, ErrNoisy) {
		t.Errorf("a noisy policy: %v", err)
	}
}

func TestRunConfig(t *testing.T) {
	if _, err := Run(t.Context(), Config{}); !errors.Is(err, ErrConfig) {
		t.Errorf("empty config: %v", err)
	}
}

func TestCompareActivation(t *testing.T) {
	want := []synth.Activation{{Row: 3, Segments: []string{"a"}}, {Row: 7, Segments: []string{"a", "c"}}}
	for name, tc := range map[string]struct {
		file     string
		mismatch bool // a well-formed file with other rows
	}{
		"missing row":        {"row,segments\n3,a\n", true},
		"extra row":          {"row,segments\n3,a\n7,a;c\n9,a\n", true},
		"other row":          {"row,segments\n3,a\n8,a;c\n", true},
		"other segments":     {"row,segments\n3,a\n7,a\n", true},
		"segments reordered": {"row,segments\n3,a\n7,c;a\n", true},
		"rows reordered":     {"row,segments\n7,a;c\n3,a\n", true},
		"other header":       {"row,segment\n3,a\n7,a;c\n", true},
		"no header":          {"", false},
		"three columns":      {"row,segments,x\n3,a,1\n", false},
	} {
		path := filepath.Join(t.TempDir(), "activation.csv")
		if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := CompareActivation(path, want)
		var m *ActivationMismatch
		if err == nil || errors.As(err, &m) != tc.mismatch {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	path := filepath.Join(t.TempDir(), "activation.csv")
	if err := os.WriteFile(path, []byte("row,segments\n3,a\n7,a;c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := CompareActivation(path, want); err != nil || n != 2 {
		t.Errorf("the exact file: %d rows, %v", n, err)
	}
}
