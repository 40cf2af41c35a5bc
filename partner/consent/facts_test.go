package consent

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// referenceStrings returns the TC strings of tcf's reference vectors by name.
func referenceStrings(t testing.TB) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("tcf/testdata/iabtcf_core.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []struct {
			Name     string `json:"name"`
			TCString string `json:"tc_string"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, v := range f.Vectors {
		out[v.Name] = v.TCString
	}
	return out
}

func reference(t testing.TB, name string) string {
	t.Helper()
	s, ok := referenceStrings(t)[name]
	if !ok {
		t.Fatalf("no reference vector %q", name)
	}
	return s
}

func mustParse(t *testing.T, cell string) Facts {
	t.Helper()
	f, err := ParseCell(cell)
	if err != nil {
		t.Fatalf("ParseCell: %v", err)
	}
	return f
}

// purposes lists the purposes (1-24) for which has is true.
func purposes(has func(int) bool) []int {
	var out []int
	for p := 0; p <= 25; p++ {
		if has(p) {
			out = append(out, p)
		}
	}
	return out
}

func equal(a, b []int) bool {
	aj, _ := json.Marshal(a)
	bj, _ := json.Marshal(b)
	return string(aj) == string(bj)
}

func TestParseCellEmptyGrantsNothing(t *testing.T) {
	for _, cell := range []string{"", " ", "\t \r\n"} {
		f := mustParse(t, cell)
		if purposes(f.PurposeConsent) != nil || purposes(f.PurposeLI) != nil || f.VendorsConsented([]int{1}) {
			t.Errorf("%q grants something", cell)
		}
		if !f.VendorsConsented(nil) {
			t.Errorf("%q: an empty vendor requirement must hold", cell)
		}
	}
}

func TestParseCellList(t *testing.T) {
	f := mustParse(t, "  1;3;4;7;li:9 \r\n")
	if got := purposes(f.PurposeConsent); !equal(got, []int{1, 3, 4, 7}) {
		t.Errorf("consents %v", got)
	}
	if got := purposes(f.PurposeLI); !equal(got, []int{9}) {
		t.Errorf("LI %v", got)
	}
	// A list names no vendor: any vendor requirement is denied.
	if f.VendorsConsented([]int{1}) || !f.VendorsConsented([]int{}) {
		t.Error("vendor check on a purpose list")
	}
}

func TestParseCellTCString(t *testing.T) {
	// Encoded by @iabtcf/core with purpose consents 1,3,4,7,9, LI 7,10,
	// vendor consents 5,300,301,302,25000,65535 (range encoding).
	f := mustParse(t, " "+reference(t, "sparse high vendor ids force range encoding")+"\n")
	if got := purposes(f.PurposeConsent); !equal(got, []int{1, 3, 4, 7, 9}) {
		t.Errorf("consents %v", got)
	}
	if got := purposes(f.PurposeLI); !equal(got, []int{7, 10}) {
		t.Errorf("LI %v", got)
	}
	vendorTests := []struct {
		ids  []int
		want bool
	}{
		{nil, true},
		{[]int{5}, true},
		{[]int{5, 300, 301, 302, 25000, 65535}, true},
		{[]int{5, 6}, false},
		{[]int{303}, false},
		{[]int{0}, false},
		{[]int{-1}, false},
		{[]int{65536}, false},
	}
	for _, tt := range vendorTests {
		if got := f.VendorsConsented(tt.ids); got != tt.want {
			t.Errorf("VendorsConsented(%v) = %v", tt.ids, got)
		}
	}
}

// TCF 2.2: no legitimate interest for purposes 1 and 3-6, even when a
// non-compliant CMP encodes it. The reference string carries LI bits 2-11.
func TestParseCellDropsForbiddenLegitimateInterest(t *testing.T) {
	s := reference(t, "LI bits on purposes 3-6 (not TCF 2.2 compliant) are still encoded")
	tc, err := tcf.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := purposes(tc.PurposeLI); !equal(got, []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
		t.Fatalf("the vector no longer carries the forbidden bits: %v", got)
	}
	f := mustParse(t, s)
	if got := purposes(f.PurposeLI); !equal(got, []int{2, 7, 8, 9, 10, 11}) {
		t.Errorf("LI %v", got)
	}
	if got := purposes(f.PurposeConsent); !equal(got, []int{1}) {
		t.Errorf("consents %v", got)
	}
}

func TestParseCellRejects(t *testing.T) {
	valid := reference(t, "dense bit-field vendors, all purposes")
	tests := []struct {
		cell string
		want error
	}{
		{"1,3", ErrInvalidList},
		{"1;3;", ErrInvalidList},
		{"li:3", ErrInvalidList},
		{"7 " + valid, ErrInvalidList},
		{"li:lorem", ErrInvalidList},
		{"lorem", tcf.ErrMalformed},
		{"LI:7", tcf.ErrMalformed},
		{"yes", tcf.ErrMalformed},
		{valid + "=", tcf.ErrMalformed},
		{valid[:30], tcf.ErrMalformed},
		{"BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA", tcf.ErrMalformed}, // TCF v1
		{valid + " 1;3", tcf.ErrMalformed},
	}
	for _, tt := range tests {
		f, err := ParseCell(tt.cell)
		if !errors.Is(err, tt.want) {
			t.Errorf("%.20q: err = %v, want %v", tt.cell, err, tt.want)
		}
		if f != (Facts{}) {
			t.Errorf("%.20q: facts returned with an error", tt.cell)
		}
	}
	for _, cell := range []string{"Oui", "Non", "opt-in", valid[:35]} {
		_, err := ParseCell(cell)
		if !strings.Contains(err.Error(), "too short for a TC string (a first-party value such as Oui/Non needs a consent mapping)") {
			t.Errorf("%.20q: %v", cell, err)
		}
	}
	if _, err := ParseCell(valid[:36]); err == nil || strings.Contains(err.Error(), "too short") {
		t.Errorf("36 characters: %v", err)
	}
	var de *tcf.DecodeError
	if _, err := ParseCell(valid[:30]); !errors.As(err, &de) || de.Field == "" {
		t.Errorf("a TC string error must carry the *tcf.DecodeError: %v", err)
	}
}
