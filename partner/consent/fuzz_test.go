package consent

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

func FuzzParseCell(f *testing.F) {
	for _, s := range referenceStrings(f) {
		f.Add(s)
	}
	for _, s := range hostileLists {
		f.Add(s)
	}
	for _, s := range []string{"", "1;3;4;7", " li:7 ; 9 ", "C", "CAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		facts, err := ParseCell(cell)
		if err != nil {
			if !errors.Is(err, ErrInvalidList) && !errors.Is(err, tcf.ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if facts != (Facts{}) {
				t.Fatal("facts returned with an error")
			}
		}
		for _, p := range []int{-1, 0, 25, 64, 65} {
			if facts.PurposeConsent(p) || facts.PurposeLI(p) {
				t.Fatalf("purpose %d outside 1-24 is set", p)
			}
		}
		for _, p := range []int{1, 3, 4, 5, 6} {
			if facts.PurposeLI(p) {
				t.Fatalf("legitimate interest for purpose %d", p)
			}
		}
		if !facts.VendorsConsented(nil) || facts.VendorsConsented([]int{0}) {
			t.Fatal("vendor check")
		}
		if out := DecodeToJSON(cell); !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
	})
}
