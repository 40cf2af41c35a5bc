package flow

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

// readRows reads in (CSV with the columns email and consent) as a run's
// read does, into the audience it returns (the caller closes it), and
// returns rejects.csv's reasons by row.
func readRows(t *testing.T, info *sessionInfo, in string) (map[uint32]string, *audience) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	r := &runner{info: info, opts: Options{Input: path, OutDir: out, Progress: noProgress{},
		Columns: csvin.Columns{ID: "email", Consent: "consent"}}}
	a, err := r.readInput(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rejects := map[uint32]string{}
	for i, rec := range readCSVFile(t, filepath.Join(out, rejectsFile)) {
		if i == 0 {
			continue
		}
		n, err := strconv.ParseUint(rec[0], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		rejects[uint32(n)] = rec[1]
	}
	return rejects, a
}
