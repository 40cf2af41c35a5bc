package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/internal/bench"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// TestBenchEndToEnd builds blindjoin and blindjoin-bench into one
// directory and runs a small bench through `blindjoin bench`: three child
// processes, a real session over HTTP, the floor, and the comparison with
// the plaintext truth.
func TestBenchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs a whole session")
	}
	dir := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", dir, "../blindjoin", ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exe := filepath.Join(dir, "blindjoin")
	cmd := exec.Command(exe, "bench", "--rows", "2000", "--floor-elements", "600", "--json", "--dir", filepath.Join(dir, "work"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var r bench.Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("bench output: %v\n%s", err, out)
	}
	if !r.OverlapCorrect || r.Correct.ExpectedOverlap == 0 || r.Correct.ExpectedActivationRows == 0 {
		t.Errorf("result not exact or trivially empty: %+v", r.Correct)
	}
	// About 1.5% of synthetic identifiers are invalid and stay home.
	if r.Elements < 2*1900 || r.Elements > 2*2000 {
		t.Errorf("%d elements uploaded for 2 x 2000 rows", r.Elements)
	}
	if r.CPUSeconds <= 0 || r.FloorPerElementUS <= 0 || r.CPUOverFloor <= 0 || len(r.Floors) != 2*bench.FloorRuns {
		t.Errorf("cpu %v s, floor %v us over %d runs", r.CPUSeconds, r.FloorPerElementUS, len(r.Floors))
	}
	for _, name := range []string{"server", "advertiser", "media_partner"} {
		if rss := r.PeakRSSMB[name]; rss < 5 || rss > 1000 {
			t.Errorf("%s peak RSS %v MB", name, rss)
		}
	}
	// Part bytes over records: 32-byte elements plus attribute bytes
	// (advertiser 2, partner 1), 16-byte join digests, and a header and
	// trailer per part.
	for role, want := range map[api.Role]map[string]float64{
		"advertiser":    {bench.LegBlinded: 34, bench.LegRelay: 32, bench.LegJoin: 16},
		"media_partner": {bench.LegBlinded: 33, bench.LegRelay: 32, bench.LegJoin: 16},
	} {
		for leg, w := range want {
			if got := r.BytesPerElement[role][leg]; got < w || got > w+0.1 {
				t.Errorf("%s %s: %v bytes per element, want %v plus framing", role, leg, got, w)
			}
		}
	}
	var sum float64
	for _, p := range r.Phases[:len(r.Phases)-1] {
		if p.Seconds < 0 {
			t.Errorf("phase %s: %v s", p.Name, p.Seconds)
		}
		sum += p.Seconds
	}
	if total := r.Phases[len(r.Phases)-1]; total.Seconds != r.WallSeconds || sum < 0.99*r.WallSeconds || sum > 1.01*r.WallSeconds {
		t.Errorf("phases add up to %v s, total %v s, wall %v s", sum, total.Seconds, r.WallSeconds)
	}
}
