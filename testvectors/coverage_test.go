package testvectors

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

func decodeEmbedded(t *testing.T, name string) *schema.File {
	t.Helper()
	data, err := fs.ReadFile(Embedded(), name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := schema.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestVectorCoverage checks that the files still cover what the README
// promises, so that a regeneration cannot quietly drop a case.
func TestVectorCoverage(t *testing.T) {
	records := decodeEmbedded(t, "records.json").Records
	valid := map[string]int{}
	invalid := map[string]int{}
	uid2, regions := 0, 0
	for _, r := range records {
		if r.Expect == schema.ExpectValid {
			valid[r.Type]++
		} else {
			invalid[r.Type]++
		}
		if strings.HasPrefix(r.Comment, "UID2 published example") && r.Type != "sha256" {
			uid2++
		}
		if r.Region != "" {
			regions++
		}
	}
	total := 0
	for _, typ := range []string{"email", "phone", "maid", "sha256"} {
		if valid[typ] == 0 || invalid[typ] == 0 {
			t.Errorf("%s: %d valid and %d invalid records, want some of each", typ, valid[typ], invalid[typ])
		}
		total += valid[typ]
	}
	if total < 30 || uid2 != 15 || regions == 0 {
		t.Errorf("%d valid records (want >= 30), %d UID2 examples (want 15), %d with a region", total, uid2, regions)
	}

	reasons := map[string]int{}
	validEncodings := 0
	for _, e := range decodeEmbedded(t, "encodings.json").Encodings {
		if *e.Valid {
			validEncodings++
		}
		reasons[e.Reason]++
	}
	for reason := range reasonClass {
		if reasons[reason] == 0 {
			t.Errorf("no invalid encoding for reason %q", reason)
		}
	}
	if validEncodings < 2 {
		t.Errorf("%d valid encodings", validEncodings)
	}

	for _, x := range decodeEmbedded(t, "intersection.json").Intersections {
		if *x.Overlap == 0 || *x.Overlap == len(x.A) || *x.Overlap == len(x.B) {
			t.Errorf("overlap %d of %d and %d records: want a partial overlap", *x.Overlap, len(x.A), len(x.B))
		}
	}
}
