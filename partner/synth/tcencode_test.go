package synth

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// checkDecodes decodes s with the project's decoder and compares every
// field with the intended tc.
func checkDecodes(t *testing.T, s string, tc TC) *tcf.TCString {
	t.Helper()
	got, err := tcf.Decode(s)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	want := wantDecoded(tc)
	type pair struct {
		name      string
		got, want any
	}
	for _, p := range []pair{
		{"Version", got.Version, 2},
		{"Created", got.Created, want.Created},
		{"LastUpdated", got.LastUpdated, want.LastUpdated},
		{"CmpID", got.CmpID, tc.CmpID},
		{"CmpVersion", got.CmpVersion, tc.CmpVersion},
		{"ConsentScreen", got.ConsentScreen, tc.ConsentScreen},
		{"ConsentLanguage", got.ConsentLanguage, strings.ToUpper(tc.ConsentLanguage)},
		{"VendorListVersion", got.VendorListVersion, tc.VendorListVersion},
		{"PolicyVersion", got.PolicyVersion, tc.PolicyVersion},
		{"IsServiceSpecific", got.IsServiceSpecific, tc.IsServiceSpecific},
		{"UseNonStandardTexts", got.UseNonStandardTexts, tc.UseNonStandardTexts},
		{"SpecialFeatureOptIns", got.SpecialFeatureOptIns, tc.SpecialFeatureOptIns},
		{"PurposesConsent", got.PurposesConsent, tc.PurposesConsent},
		{"PurposesLITransparency", got.PurposesLITransparency, tc.PurposesLI},
		{"PurposeOneTreatment", got.PurposeOneTreatment, tc.PurposeOneTreatment},
		{"PublisherCC", got.PublisherCC, strings.ToUpper(tc.PublisherCC)},
		{"PublisherRestrictions", len(got.PublisherRestrictions), 0},
		{"segments", got.DisclosedVendors == nil && got.AllowedVendors == nil && got.PublisherTC == nil, true},
	} {
		if p.got != p.want {
			t.Errorf("%s = %v, want %v", p.name, p.got, p.want)
		}
	}
	for _, v := range []struct {
		name string
		got  tcf.VendorSet
		ids  []int
	}{{"VendorConsents", got.VendorConsents, tc.VendorConsents}, {"VendorLegitimateInterests", got.VendorLegitimateInterests, tc.VendorLI}} {
		want := slices.Compact(slices.Sorted(slices.Values(v.ids)))
		if !slices.Equal(v.got.IDs(), want) {
			t.Errorf("%s = %v, want %v", v.name, v.got.IDs(), want)
		}
		if wantMax := maxOf(want); v.got.Max() != wantMax {
			t.Errorf("%s MaxVendorId = %d, want %d", v.name, v.got.Max(), wantMax)
		}
	}
	return got
}

// wantDecoded holds the times as the decoder returns them: UTC,
// truncated to deciseconds.
func wantDecoded(tc TC) struct{ Created, LastUpdated time.Time } {
	ds := func(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli() / 100 * 100).UTC() }
	return struct{ Created, LastUpdated time.Time }{ds(tc.Created), ds(tc.LastUpdated)}
}

func maxOf(ids []int) int {
	if len(ids) == 0 {
		return 0
	}
	return slices.Max(ids)
}

func baseTC() TC {
	day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	return TC{
		Created: day, LastUpdated: day, CmpID: 300, CmpVersion: 12, ConsentScreen: 2,
		ConsentLanguage: "FR", VendorListVersion: 87, PolicyVersion: 4, IsServiceSpecific: true,
		PurposesConsent: purposes(1, 3, 4, 7, 9), PurposesLI: purposes(2, 7, 10), PublisherCC: "FR",
		VendorConsents: []int{1, 2, 3, 10, 755}, VendorLI: []int{8, 9, 10, 11},
	}
}

func TestEncodeTCRoundTrip(t *testing.T) {
	edge := baseTC()
	edge.Created = time.UnixMilli(maxDeciseconds * 100)
	edge.LastUpdated = time.Date(2020, 1, 2, 3, 4, 5, 678_900_000, time.FixedZone("x", 3600))
	edge.CmpID, edge.CmpVersion, edge.ConsentScreen, edge.VendorListVersion, edge.PolicyVersion = 4095, 4095, 63, 4095, 63
	edge.ConsentLanguage, edge.PublisherCC = "az", "Zz"
	edge.UseNonStandardTexts, edge.PurposeOneTreatment, edge.IsServiceSpecific = true, true, false
	edge.SpecialFeatureOptIns = purposes(1, 12)
	edge.PurposesConsent, edge.PurposesLI = purposes(1, 24), purposes(2, 23, 24)
	edge.VendorConsents, edge.VendorLI = []int{65535, 1, 65535}, []int{32, 33, 64, 65, 96, 97}

	empty := baseTC()
	empty.VendorConsents, empty.VendorLI = nil, nil
	empty.PurposesConsent, empty.PurposesLI = 0, 0

	cases := map[string]TC{"base": baseTC(), "edge values": edge, "no vendors": empty}
	for _, enc := range []VendorEncoding{Shortest, BitField, Ranges} {
		tc := baseTC()
		tc.VendorEncoding = enc
		cases["encoding "+[]string{"shortest", "bitfield", "ranges"}[enc]] = tc
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := EncodeTC(tc)
			if err != nil {
				t.Fatal(err)
			}
			if s[0] != 'C' {
				t.Errorf("a v2 string starts with 'C', got %q", s[0])
			}
			checkDecodes(t, s, tc)
		})
	}
}

// TestEncodeTCVendorEncoding checks which encoding is written, by the
// IsRangeEncoding bit right after MaxVendorId, and that Shortest picks
// the shorter one.
func TestEncodeTCVendorEncoding(t *testing.T) {
	contiguous := make([]int, 0, 300)
	for id := 1; id <= 300; id++ {
		contiguous = append(contiguous, id)
	}
	gappy := make([]int, 0, 150)
	for id := 2; id <= 300; id += 2 {
		gappy = append(gappy, id)
	}
	for _, c := range []struct {
		name      string
		ids       []int
		enc       VendorEncoding
		wantRange bool
	}{
		{"contiguous shortest", contiguous, Shortest, true},
		{"contiguous forced bitfield", contiguous, BitField, false},
		{"gappy shortest", gappy, Shortest, false},
		{"gappy forced ranges", gappy, Ranges, true},
		{"few high ids shortest", []int{700, 900}, Shortest, true},
		{"empty shortest", nil, Shortest, false},
		{"empty forced ranges", nil, Ranges, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tc := baseTC()
			tc.VendorConsents, tc.VendorEncoding = c.ids, c.enc
			s, err := EncodeTC(tc)
			if err != nil {
				t.Fatal(err)
			}
			checkDecodes(t, s, tc)
			// The vendor consent section starts after the 213 fixed bits.
			if got := bitAt(t, s, 213+vendorIDBits); got != c.wantRange {
				t.Errorf("IsRangeEncoding = %v, want %v", got, c.wantRange)
			}
			other := tc
			other.VendorEncoding = map[bool]VendorEncoding{true: BitField, false: Ranges}[c.wantRange]
			o, err := EncodeTC(other)
			if err != nil {
				t.Fatal(err)
			}
			if c.enc == Shortest && len(o) < len(s) {
				t.Errorf("Shortest wrote %d characters, the other encoding %d", len(s), len(o))
			}
		})
	}
}

// bitAt returns bit i of a base64url string, read independently of both
// the encoder and the decoder.
func bitAt(t *testing.T, s string, i int) bool {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, s[i/6])
	if v < 0 {
		t.Fatalf("character %q outside base64url", s[i/6])
	}
	return v>>(5-i%6)&1 == 1
}

func TestEncodeTCRejects(t *testing.T) {
	for name, mutate := range map[string]func(*TC){
		"created before epoch":   func(tc *TC) { tc.Created = time.Unix(-1, 0) },
		"updated beyond 36 bits": func(tc *TC) { tc.LastUpdated = time.UnixMilli((maxDeciseconds + 1) * 100) },
		"cmp id 4096":            func(tc *TC) { tc.CmpID = 4096 },
		"negative cmp version":   func(tc *TC) { tc.CmpVersion = -1 },
		"consent screen 64":      func(tc *TC) { tc.ConsentScreen = 64 },
		"vendor list 4096":       func(tc *TC) { tc.VendorListVersion = 4096 },
		"policy version 64":      func(tc *TC) { tc.PolicyVersion = 64 },
		"language one letter":    func(tc *TC) { tc.ConsentLanguage = "F" },
		"language digit":         func(tc *TC) { tc.ConsentLanguage = "F1" },
		"language non-ASCII":     func(tc *TC) { tc.ConsentLanguage = "é" },
		"country symbol":         func(tc *TC) { tc.PublisherCC = "@A" },
		"special feature 13":     func(tc *TC) { tc.SpecialFeatureOptIns = purposes(13) },
		"purpose 25 consent":     func(tc *TC) { tc.PurposesConsent = purposes(25) },
		"purpose 25 LI":          func(tc *TC) { tc.PurposesLI = purposes(25) },
		"vendor 0":               func(tc *TC) { tc.VendorConsents = []int{0} },
		"vendor 65536":           func(tc *TC) { tc.VendorLI = []int{65536} },
	} {
		tc := baseTC()
		mutate(&tc)
		if s, err := EncodeTC(tc); !errors.Is(err, ErrTC) {
			t.Errorf("%s: EncodeTC = %q, %v; want ErrTC", name, s, err)
		}
	}
}

// TestEncodeTCRandom round-trips many random field values, including
// random vendor sets in every encoding.
func TestEncodeTCRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := func() []int {
		out := make([]int, r.IntN(40))
		for i := range out {
			out[i] = 1 + r.IntN([]int{40, 600, tcf.MaxVendorID}[r.IntN(3)])
		}
		return out
	}
	for range 2000 {
		tc := TC{
			Created: time.UnixMilli(r.Int64N(maxDeciseconds * 100)), LastUpdated: time.UnixMilli(r.Int64N(maxDeciseconds * 100)),
			CmpID: r.IntN(4096), CmpVersion: r.IntN(4096), ConsentScreen: r.IntN(64),
			ConsentLanguage:   string([]byte{byte('A' + r.IntN(26)), byte('a' + r.IntN(26))}),
			VendorListVersion: r.IntN(4096), PolicyVersion: r.IntN(64),
			IsServiceSpecific: r.IntN(2) == 0, UseNonStandardTexts: r.IntN(2) == 0, PurposeOneTreatment: r.IntN(2) == 0,
			SpecialFeatureOptIns: tcf.Flags(r.Uint64N(1 << 12)),
			PurposesConsent:      tcf.Flags(r.Uint64N(1 << 24)), PurposesLI: tcf.Flags(r.Uint64N(1 << 24)),
			PublisherCC:    string([]byte{byte('A' + r.IntN(26)), byte('A' + r.IntN(26))}),
			VendorConsents: ids(), VendorLI: ids(), VendorEncoding: VendorEncoding(r.IntN(3)),
		}
		s, err := EncodeTC(tc)
		if err != nil {
			t.Fatal(err)
		}
		checkDecodes(t, s, tc)
		if t.Failed() {
			t.Fatalf("fields %+v", tc)
		}
	}
}

// FuzzEncodeTC builds a TC from arbitrary values: EncodeTC must either
// reject it with ErrTC or produce a string that decodes to exactly it.
func FuzzEncodeTC(f *testing.F) {
	f.Add(int64(17_000_000_000), 300, 4, "FR", uint64(0x14d), uint64(0x242), []byte{1, 2, 3, 200}, []byte{}, uint8(0))
	f.Add(int64(0), 4095, 63, "zz", uint64(1<<24-1), uint64(0), []byte{255, 255, 255, 255}, []byte{1}, uint8(2))
	f.Add(int64(-1), -1, 64, "F1", uint64(1<<24), uint64(1<<30), []byte{0, 0}, []byte{9, 9}, uint8(1))
	f.Fuzz(func(t *testing.T, ds int64, cmp, policyVersion int, lang string, consents, lis uint64, vc, vl []byte, enc uint8) {
		ids := func(b []byte) []int {
			var out []int
			for i := 0; i+1 < len(b); i += 2 {
				out = append(out, int(b[i])<<8|int(b[i+1])) // 0 is out of range: rejected
			}
			return out
		}
		tc := baseTC()
		tc.Created = time.UnixMilli(ds * 100)
		tc.CmpID, tc.PolicyVersion, tc.ConsentLanguage = cmp, policyVersion, lang
		tc.PurposesConsent, tc.PurposesLI = tcf.Flags(consents), tcf.Flags(lis)
		tc.VendorConsents, tc.VendorLI, tc.VendorEncoding = ids(vc), ids(vl), VendorEncoding(enc%3)
		s, err := EncodeTC(tc)
		if err != nil {
			if !errors.Is(err, ErrTC) {
				t.Fatalf("error %v does not wrap ErrTC", err)
			}
			return
		}
		checkDecodes(t, s, tc)
	})
}
