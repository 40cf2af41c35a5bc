package synth

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/partner/consent"
	"github.com/blindjoin/blindjoin/partner/consent/tcf"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

func newDataset(t testing.TB, cfg Config) *Dataset {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func smallConfig(key identifier.Type) Config {
	cfg := DefaultConfig()
	cfg.AdvertiserRows, cfg.PartnerRows, cfg.MatchKey = 3000, 5000, key
	return cfg
}

func files(t *testing.T, d *Dataset) (adv, partner []byte) {
	t.Helper()
	var a, p bytes.Buffer
	if err := d.WriteAdvertiserCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := d.WritePartnerCSV(&p); err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), p.Bytes()
}

func TestDeterministic(t *testing.T) {
	for _, key := range []identifier.Type{identifier.Email, identifier.Phone, identifier.MAID} {
		t.Run(string(key), func(t *testing.T) {
			cfg := smallConfig(key)
			a1, p1 := files(t, newDataset(t, cfg))
			a2, p2 := files(t, newDataset(t, cfg))
			if !bytes.Equal(a1, a2) || !bytes.Equal(p1, p2) {
				t.Fatal("the same config gave different files")
			}
			cfg.Seed++
			a3, p3 := files(t, newDataset(t, cfg))
			if bytes.Equal(a1, a3) || bytes.Equal(p1, p3) {
				t.Fatal("another seed gave the same files")
			}
		})
	}
}

// TestConcurrentSides writes both files at once from one Dataset (run
// with -race): the dataset is read-only once planned.
func TestConcurrentSides(t *testing.T) {
	d := newDataset(t, smallConfig(identifier.Email))
	want, _ := files(t, d)
	var wg sync.WaitGroup
	got := make([][]byte, 4)
	for i := range got {
		wg.Go(func() {
			var b bytes.Buffer
			if i%2 == 0 {
				d.WriteAdvertiserCSV(&b)
			} else {
				d.WritePartnerCSV(&b)
			}
			got[i] = b.Bytes()
		})
	}
	wg.Wait()
	if !bytes.Equal(got[0], want) || !bytes.Equal(got[2], want) || !bytes.Equal(got[1], got[3]) {
		t.Fatal("concurrent writers disagree")
	}
}

func TestConfigRejects(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"no advertiser rows":    func(c *Config) { c.AdvertiserRows = 0 },
		"too many partner rows": func(c *Config) { c.PartnerRows = MaxRows + 1 },
		"negative overlap":      func(c *Config) { c.OverlapFraction = -0.1 },
		"overlap above one":     func(c *Config) { c.OverlapFraction = 1.01 },
		"NaN overlap":           func(c *Config) { c.OverlapFraction = nan() },
		"sha256 key":            func(c *Config) { c.MatchKey = identifier.SHA256 },
		"unknown key":           func(c *Config) { c.MatchKey = "imei" },
		"segment with ';'":      func(c *Config) { c.Segments = []string{"a;b"} },
		"empty segment":         func(c *Config) { c.Segments = []string{""} },
		"duplicate segment":     func(c *Config) { c.Segments = []string{"a", "b", "a"} },
		"65 segments": func(c *Config) {
			c.Segments = nil
			for i := range 65 {
				c.Segments = append(c.Segments, "s"+strings.Repeat("x", i))
			}
		},
	} {
		cfg := DefaultConfig()
		mutate(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: New = %v, want ErrConfig", name, err)
		}
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

// TestRowCounts checks exact row counts and the edge configurations: no
// overlap, full overlap, no segments, a one-row side.
func TestRowCounts(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no overlap":   {Seed: 3, AdvertiserRows: 2000, PartnerRows: 3000, OverlapFraction: 0, MatchKey: identifier.Email},
		"full overlap": {Seed: 3, AdvertiserRows: 2000, PartnerRows: 3000, OverlapFraction: 1, MatchKey: identifier.Phone, Segments: []string{"a"}},
		"one row":      {Seed: 3, AdvertiserRows: 1, PartnerRows: 1, OverlapFraction: 1, MatchKey: identifier.MAID},
	} {
		t.Run(name, func(t *testing.T) {
			d := newDataset(t, cfg)
			adv, partner := files(t, d)
			if n := bytes.Count(adv, []byte("\r\n")) - 1; n != cfg.AdvertiserRows {
				t.Errorf("advertiser file has %d data rows, want %d", n, cfg.AdvertiserRows)
			}
			if n := bytes.Count(partner, []byte("\r\n")) - 1; n != cfg.PartnerRows {
				t.Errorf("partner file has %d data rows, want %d", n, cfg.PartnerRows)
			}
			truth, err := d.Truth(policy.Default())
			if err != nil {
				t.Fatal(err)
			}
			if cfg.OverlapFraction == 0 && truth.Overlap != 0 {
				t.Errorf("overlap %d without shared people", truth.Overlap)
			}
			if cfg.OverlapFraction == 1 && cfg.AdvertiserRows > 1 && truth.Overlap < truth.Advertiser.Counted/2 {
				t.Errorf("overlap %d of %d with every person shared", truth.Overlap, truth.Advertiser.Counted)
			}
			checkIntent(t, d, truth)
		})
	}
}

// cellKind classifies a consent cell by its first character, as the
// consent package documents it.
func cellKind(cell string) string {
	switch {
	case cell == "":
		return "empty"
	case cell[0] >= '0' && cell[0] <= '9' || strings.HasPrefix(cell, "li:"):
		return "list"
	}
	return "tc"
}

// TestProportions holds the default dataset to the mix the demo shows.
func TestProportions(t *testing.T) {
	d := newDataset(t, DefaultConfig())
	type tally struct {
		rows, invalidID, forms, counted, activated, bad int
		kinds                                           map[string]int
	}
	var adv, partner tally
	adv.kinds, partner.kinds = map[string]int{}, map[string]int{}
	segCounts := make([]int, 4)
	var upper, padded, tagged, dotted int
	add := func(s *tally, id, cell string) {
		s.rows++
		if _, _, err := (identifier.Normalizer{}).Digest(identifier.Email, id); err != nil {
			s.invalidID++
			return
		}
		s.kinds[cellKind(cell)]++
		f, err := consent.ParseCell(cell)
		if err != nil {
			s.bad++
			return
		}
		count := f.PurposeConsent(7) || f.PurposeLI(7) || f.PurposeConsent(9) || f.PurposeLI(9)
		if count {
			s.counted++
		}
		if count && f.PurposeConsent(1) && f.PurposeConsent(3) && f.PurposeConsent(4) {
			s.activated++
		}
	}
	for r := range d.Advertiser() {
		add(&adv, r.ID, r.Consent)
		segCounts[len(splitLabels(r.Segments))]++
		id := strings.TrimSpace(r.ID)
		upper += b2i(id != strings.ToLower(id))
		padded += b2i(id != r.ID)
		tagged += b2i(strings.Contains(id, "+"))
		dotted += b2i(strings.HasSuffix(strings.ToLower(id), "@gmail.com") && strings.Contains(id[:strings.IndexByte(id, '@')], "."))
	}
	for r := range d.Partner() {
		add(&partner, r.ID, r.Consent)
		if id := strings.TrimSpace(r.ID); id != "" && id == r.ID && strings.Count(id, "@") == 1 {
			if norm, err := (identifier.Normalizer{}).Normalize(identifier.Email, id); err == nil && norm != id {
				t.Fatalf("partner row not canonical")
			}
		}
	}
	within := func(name string, n, of int, lo, hi float64) {
		t.Helper()
		if f := float64(n) / float64(of); f < lo || f > hi {
			t.Errorf("%s: %d of %d = %.3f, want %.3f..%.3f", name, n, of, f, lo, hi)
		}
	}
	for _, s := range []struct {
		name string
		tally
		invalidLo, invalidHi float64
	}{{"advertiser", adv, 0.01, 0.02}, {"partner", partner, 0.006, 0.014}} {
		valid := s.rows - s.invalidID
		within(s.name+" invalid identifiers", s.invalidID, s.rows, s.invalidLo, s.invalidHi)
		within(s.name+" counting", s.counted, valid, 0.77, 0.85)
		within(s.name+" activation", s.activated, valid, 0.55, 0.63)
		within(s.name+" TC string cells", s.kinds["tc"], valid, 0.74, 0.80)
		within(s.name+" purpose lists", s.kinds["list"], valid, 0.10, 0.15)
		within(s.name+" empty cells", s.kinds["empty"], valid, 0.08, 0.12)
		within(s.name+" invalid cells", s.bad, valid, 0.01, 0.03)
	}
	within("rows without segments", segCounts[0], adv.rows, 0.26, 0.34)
	within("rows with three segments", segCounts[3], adv.rows, 0.06, 0.10)
	within("mixed-case addresses", upper, adv.rows, 0.25, 0.40)
	within("padded addresses", padded, adv.rows, 0.06, 0.12)
	within("gmail +tags", tagged, adv.rows, 0.02, 0.06)
	within("dotted gmail addresses", dotted, adv.rows, 0.05, 0.25)
}

func splitLabels(cell string) []string {
	if cell == "" {
		return nil
	}
	return strings.Split(cell, ";")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestConsentCells decodes every cell of both files and compares it with
// what the generator meant: each TC string decodes to exactly its fields,
// each purpose list to its profile, each damaged cell fails.
func TestConsentCells(t *testing.T) {
	d := newDataset(t, smallConfig(identifier.Email))
	var ranges, bitfields int
	check := func(cell string, in intent) {
		t.Helper()
		f, err := consent.ParseCell(cell)
		switch in.form {
		case formTC:
			got := checkDecodes(t, cell, *in.tc)
			if got.PurposesConsent != in.profile.consents || got.PurposesLITransparency != in.profile.lis {
				t.Errorf("TC string purposes differ from profile %s", in.profile.name)
			}
			if bitAt(t, cell, 213+vendorIDBits) {
				ranges++
			} else {
				bitfields++
			}
		case formList:
			if err != nil {
				t.Fatalf("purpose list of profile %s: %v", in.profile.name, err)
			}
			for p := 1; p <= 24; p++ {
				if f.PurposeConsent(p) != in.profile.consents.Has(p) || f.PurposeLI(p) != (in.profile.lis&liPurposes).Has(p) {
					t.Fatalf("purpose list of profile %s: purpose %d differs", in.profile.name, p)
				}
			}
		case formEmpty:
			if cell != "" {
				t.Fatal("empty form with a non-empty cell")
			}
		case formBadTC:
			if !errors.Is(err, tcf.ErrMalformed) {
				t.Fatalf("damaged TC string: ParseCell = %v", err)
			}
		case formBadList:
			if !errors.Is(err, consent.ErrInvalidList) {
				t.Fatalf("damaged purpose list: ParseCell = %v", err)
			}
		}
	}
	for r := range d.Advertiser() {
		check(r.Consent, r.intent)
	}
	for r := range d.Partner() {
		check(r.Consent, r.intent)
	}
	if ranges < 100 || bitfields < 100 {
		t.Errorf("vendor consent sections: %d range-encoded, %d bit fields; want both", ranges, bitfields)
	}
}

// TestCSVReadsBack reads the files with the tool's own reader, with the
// columns the dataset names, and finds the same rows and the same truth.
func TestCSVReadsBack(t *testing.T) {
	d := newDataset(t, smallConfig(identifier.Email))
	advFile, pubFile := files(t, d)
	if !bytes.HasPrefix(advFile, []byte("email,segments,consent\r\n")) || !bytes.HasPrefix(pubFile, []byte("user_id,user_email,consent\r\n")) {
		t.Fatalf("headers: %q, %q", advFile[:30], pubFile[:30])
	}
	readAll := func(file []byte, cols csvin.Columns) []csvin.Row {
		r, err := csvin.Open(bytes.NewReader(file), cols)
		if err != nil {
			t.Fatal(err)
		}
		var rows []csvin.Row
		for {
			row, err := r.Next()
			if err == io.EOF {
				return rows
			}
			if err != nil {
				t.Fatal(err)
			}
			row.Segments = slices.Clone(row.Segments)
			rows = append(rows, row)
		}
	}
	advRows := readAll(advFile, d.AdvertiserColumns())
	partnerRows := readAll(pubFile, d.PartnerColumns())
	i := 0
	for want := range d.Advertiser() {
		got := advRows[i]
		i++
		if got.ID != want.ID || got.Consent != want.Consent || strings.Join(got.Segments, ";") != want.Segments || got.Number != i {
			t.Fatalf("advertiser row %d read back differently", i)
		}
	}
	i = 0
	for want := range d.Partner() {
		got := partnerRows[i]
		i++
		if got.ID != want.ID || got.Consent != want.Consent || got.Number != i {
			t.Fatalf("partner row %d read back differently", i)
		}
	}
	if cfg := d.Config(); len(advRows) != cfg.AdvertiserRows || len(partnerRows) != cfg.PartnerRows {
		t.Fatalf("read %d and %d rows", len(advRows), len(partnerRows))
	}

	fromFiles, err := ComputeTruth(policy.Default(), identifier.Email, d.Config().Segments,
		func(yield func(AdvertiserRow) bool) {
			for _, r := range advRows {
				if !yield(AdvertiserRow{ID: r.ID, Segments: strings.Join(r.Segments, ";"), Consent: r.Consent}) {
					return
				}
			}
		},
		func(yield func(PartnerRow) bool) {
			for _, r := range partnerRows {
				if !yield(PartnerRow{ID: r.ID, Consent: r.Consent}) {
					return
				}
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	direct, err := d.Truth(policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	if !truthEqual(fromFiles, direct) {
		t.Fatal("truth from the files differs from the truth from the rows")
	}
}
