package bench

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/blind"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.v); got != tc.want {
			t.Errorf("median %v = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// The floor child reports the backend it ran, and --portable runs the
// portable one whatever the CPU.
func TestFloorBackend(t *testing.T) {
	for _, tc := range []struct {
		portable bool
		want     string
	}{{false, blind.BackendName()}, {true, "portable"}} {
		f, err := measureFloor(70, 64, tc.portable)
		if err != nil {
			t.Fatal(err)
		}
		if f.Backend != tc.want || f.Elements != 70 || f.CPUSeconds <= 0 {
			t.Errorf("portable %v: %+v, want backend %q", tc.portable, f, tc.want)
		}
	}
}

// The report carries the backend and the portable floor, in JSON and in
// text, beside the fields it had.
func TestReportPortableFloor(t *testing.T) {
	r := &Report{Floors: []FloorResult{{Elements: 1000, CPUSeconds: 0.02, Backend: "avx512ifma"}}, Backend: "avx512ifma", Revision: "0123abc+modified"}
	r.fillPortable([]FloorResult{
		{Elements: 1000, CPUSeconds: 0.09, Backend: "portable"},
		{Elements: 1000, CPUSeconds: 0.07, Backend: "portable"},
	})
	if r.PortableFloorPerElementUS != 80 {
		t.Fatalf("portable floor %v us, want the median 80", r.PortableFloorPerElementUS)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"backend":"avx512ifma"`, `"revision":"0123abc+modified"`, `"portable_floor_per_element_us":80`, `"portable_floor_runs":[`, `"floor_per_element_us":`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("JSON lacks %s", field)
		}
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"backend: avx512ifma; portable floor 80.0 us (median of 2 runs)", "code: 0123abc+modified"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}
