package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/identifier"
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
	var last uint64
	for i, rec := range readCSVFile(t, filepath.Join(out, rejectsFile)) {
		if i == 0 {
			continue
		}
		n, err := strconv.ParseUint(rec[0], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		if n <= last {
			t.Errorf("rejects.csv: row %d after row %d", n, last)
		}
		last = n
		rejects[uint32(n)] = rec[1]
	}
	return rejects, a
}

// scratchDirs lists the scratch directories in dir.
func scratchDirs(t *testing.T, dir string) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(dir, scratchPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// checkPrivateScratch asserts that dir holds one scratch directory, mode
// 0700, whose files (the kept rows' digests among them) are 0600.
func checkPrivateScratch(t *testing.T, dir string) {
	t.Helper()
	found := scratchDirs(t, dir)
	if len(found) != 1 {
		t.Errorf("%d scratch directories in %s during the upload, want 1", len(found), dir)
		return
	}
	fi, err := os.Stat(found[0])
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("scratch directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(found[0])
	names := map[string]bool{}
	for _, e := range entries {
		names[e.Name()] = true
		if fi, err := e.Info(); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("scratch file %s: %v, mode %v; want 0600", e.Name(), err, fi.Mode().Perm())
		}
	}
	if !names["records"] {
		t.Errorf("no records file in the scratch directory during the upload: %v", names)
	}
}

// TestScratchDirectory: while a party uploads, its kept rows' digests are
// in a private scratch directory of its output directory, which is gone
// after an interrupted run and after a complete one; the run resumed
// mid-upload from the spilled rows gives the true results.
func TestScratchDirectory(t *testing.T) {
	e := newEnv(t, testPolicy, 0)
	if _, err := e.client(t, api.RoleMediaPartner).Join(context.Background(), e.session.ID, e.session.PolicyHash); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen sync.Once
	e.relay.After("PUT /blinded", func(x roomtest.Exchange) {
		if x.Status == http.StatusOK && x.Header.Get("User-Agent") == agentOf[api.RoleAdvertiser] {
			seen.Do(func() { checkPrivateScratch(t, e.advDir) })
			cancel()
		}
	})
	o := e.options(t, api.RoleAdvertiser)
	o.Parallel = 1
	if _, err := Run(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if left := scratchDirs(t, e.advDir); len(left) != 0 {
		t.Fatalf("the interrupted run left %v", left)
	}
	as, _ := runBoth(t, context.Background(), e.options(t, api.RoleAdvertiser), e.options(t, api.RoleMediaPartner))
	want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments)
	if as.SkippedParts != 1 || *as.Overlap != want.overlap {
		t.Errorf("resumed run: skipped %d parts, overlap %d; want 1, %d", as.SkippedParts, *as.Overlap, want.overlap)
	}
	checkActivation(t, e.partnerDir, want.activation)
	checkRejects(t, e.advDir, e.adv)
	for _, dir := range []string{e.advDir, e.partnerDir} {
		if left := scratchDirs(t, dir); len(left) != 0 {
			t.Errorf("the complete run left %v", left)
		}
	}
}

// TestScratchRemovedOnRefusal: a run refused after the read (too few rows)
// leaves no scratch directory, nor does an empty input.
func TestScratchRemovedOnRefusal(t *testing.T) {
	e := newEnv(t, `{"min_rows": 100000, "k": 5}`, 0)
	if _, err := Run(context.Background(), e.options(t, api.RoleAdvertiser)); !errors.Is(err, ErrTooFewRows) {
		t.Fatalf("err = %v, want ErrTooFewRows", err)
	}
	o := e.options(t, api.RoleMediaPartner)
	o.Input = filepath.Join(t.TempDir(), "empty.csv")
	os.WriteFile(o.Input, []byte("EMAIL,consent\n"), 0o600)
	s, err := Run(context.Background(), o)
	if !errors.Is(err, ErrTooFewRows) || s.Rows != (RowCounts{}) {
		t.Fatalf("empty input: %v, rows %+v", err, s.Rows)
	}
	for _, dir := range []string{e.advDir, e.partnerDir} {
		if left := scratchDirs(t, dir); len(left) != 0 {
			t.Errorf("the refused run left %v", left)
		}
	}
	if got := readCSVFile(t, filepath.Join(e.partnerDir, rejectsFile)); len(got) != 1 {
		t.Errorf("empty input: rejects.csv has %d lines, want the header", len(got))
	}
}

// TestDuplicatesAcrossBuckets: duplicates are found by sorting buckets of
// identifiers chosen by the digest's first byte; identifiers that share a
// bucket, runs of several rows, and duplicates in other buckets are
// reported as the map of first rows the read used to keep reports them,
// in row order, and only the first rows are kept.
func TestDuplicatesAcrossBuckets(t *testing.T) {
	norm := identifier.Normalizer{}
	byBucket := map[byte][]string{}
	for i := 0; len(byBucket[0x80]) < 3 || len(byBucket) < 40; i++ {
		email := fmt.Sprintf("p%d@example.com", i)
		d, _, err := norm.Digest(identifier.Email, email)
		if err != nil {
			t.Fatal(err)
		}
		byBucket[d[0]] = append(byBucket[d[0]], email)
	}
	// Three identifiers of one bucket, each on several rows, then one
	// identifier of each of 30 other buckets, every third one twice.
	var ids []string
	same := byBucket[0x80][:3]
	for i := range 9 {
		ids = append(ids, same[i%3], same[(i*2)%3])
	}
	n := 0
	for b, emails := range byBucket {
		if b == 0x80 || n == 30 {
			continue
		}
		ids = append(ids, emails[0])
		if n%3 == 0 {
			ids = append(ids, strings.ToUpper(emails[0]))
		}
		n++
	}
	var in strings.Builder
	in.WriteString("email,consent\n")
	for _, id := range ids {
		in.WriteString(id + ",1;3;4;7\n")
	}
	rejects, a := readRows(t, testInfo(t, `{}`, api.RoleMediaPartner, nil), in.String())
	defer a.close()
	first := map[string]int{}
	var kept []uint32
	for i, id := range ids {
		row := i + 1
		want := ""
		if f, ok := first[strings.ToLower(id)]; ok {
			want = fmt.Sprintf("duplicate email: same email as row %d", f)
		} else {
			first[strings.ToLower(id)] = row
			kept = append(kept, uint32(row))
		}
		if rejects[uint32(row)] != want {
			t.Errorf("row %d: reject %q, want %q", row, rejects[uint32(row)], want)
		}
	}
	if !slices.Equal(a.rows, kept) {
		t.Errorf("kept rows %v, want %v", a.rows, kept)
	}
	for i, row := range a.rows {
		var d [1][32]byte
		if _, err := a.record(uint32(i), d[:]); err != nil {
			t.Fatal(err)
		}
		if want, _, _ := norm.Digest(identifier.Email, ids[row-1]); d[0] != want {
			t.Errorf("record %d (row %d): another digest", i, row)
		}
	}
}
