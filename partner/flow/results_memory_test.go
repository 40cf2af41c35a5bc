package flow

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/blindjoin/blindjoin/internal/memtest"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// TestWriteOutputsMemory: mapping 300,000 activation records to rows and
// writing activation.csv holds a few megabytes, not the list (which the
// flow decoded whole before, at over 50 bytes a record).
func TestWriteOutputsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 300,000 activation rows")
	}
	const n = 300_000
	dir := t.TempDir()
	s, err := newScratch(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.create("results")
	if err != nil {
		t.Fatal(err)
	}
	d := &downloaded{scratch: s, file: f}
	defer d.remove()
	fmt.Fprint(f, `{"session_id":"s","role":"media_partner","activation":{"segments":["a","b"],"records":[`)
	for i := range n {
		if i > 0 {
			fmt.Fprint(f, ",")
		}
		fmt.Fprintf(f, `{"record":%d,"segments":[0,1]}`, n-1-i) // the upload order is not the rows'
	}
	fmt.Fprint(f, `]},"computed_at":"2026-12-06T10:00:00Z"}`)
	byPosition := make([]uint32, n)
	for p := range byPosition {
		byPosition[p] = uint32(2 * p)
	}
	r := &runner{opts: Options{OutDir: dir}, info: &sessionInfo{id: "s", role: api.RoleMediaPartner}}
	held := memtest.PeakLiveHeap(func() {
		if err := r.writeOutputs(d, byPosition); err != nil {
			t.Fatal(err)
		}
	})
	if held > 8<<20 {
		t.Errorf("writing %d activation rows held %d bytes", n, held)
	}
	if *r.summary.ActivationRows != n {
		t.Errorf("activation rows = %d", *r.summary.ActivationRows)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, activationFile))
	if want := fmt.Sprintf("row,segments\n0,a;b\n2,a;b\n"); string(csv[:len(want)]) != want {
		t.Errorf("activation.csv begins %q", csv[:len(want)])
	}
	t.Logf("held %d bytes while writing %d activation rows", held, n)
}
