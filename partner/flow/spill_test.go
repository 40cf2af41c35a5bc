package flow

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"math/rand/v2"
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
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// readRows reads in (CSV with the columns email and consent) as a run's
// read does, into the audience it returns (the caller closes it), and
// returns rejects.csv's reasons by row.
func readRows(t *testing.T, info *sessionInfo, in string) (map[uint32]string, *audience) {
	t.Helper()
	r := &runner{info: info, opts: Options{Columns: csvin.Columns{ID: "email", Consent: "consent"}}}
	out := inputFile(t, r, in)
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

// readKeyedRows reads in (CSV with the columns email, phone, maid and
// consent) as a run's read does in a session whose policy is policyJSON
// and whose keys are the policy's, and returns the lines of rejects.csv
// after its header and the audience (the caller closes it).
func readKeyedRows(t *testing.T, policyJSON, in string) ([]string, *audience) {
	t.Helper()
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		t.Fatal(err)
	}
	s := api.Session{ID: infoSessionID, MatchKey: api.MatchKeyEmail, MatchKeys: pol.MatchKeys, Policy: pol.Canonical(), PolicyHash: pol.Hash()}
	info, err := deriveInfo(s, api.RoleMediaPartner, false)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{info: info, opts: Options{Columns: csvin.Columns{Consent: "consent"},
		KeyColumns: map[string]string{"email": "email", "phone": "phone", "maid": "maid"}}}
	out := inputFile(t, r, in)
	if err := r.resolveKeys(s); err != nil {
		t.Fatal(err)
	}
	a, err := r.readInput(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, rejectsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	return lines[1:], a
}

// inputFile writes in as r's input file, quietly read, and returns r's new
// output directory.
func inputFile(t *testing.T, r *runner, in string) string {
	t.Helper()
	dir := t.TempDir()
	r.opts.Input, r.opts.OutDir, r.opts.Progress = filepath.Join(dir, "in.csv"), filepath.Join(dir, "out"), noProgress{}
	if err := os.WriteFile(r.opts.Input, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	return r.opts.OutDir
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
// 0700, whose files (the kept rows' digests in upload order among them)
// are 0600.
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
	if !names["ordered"] {
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
	rd, err := a.recs.reader(0)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range a.rows {
		rec, err := rd.next()
		if err != nil {
			t.Fatal(err)
		}
		_, _, d := a.recs.fields(rec, nil)
		if want, _, _ := norm.Digest(identifier.Email, ids[row-1]); d[0] != want {
			t.Errorf("record %d (row %d): another digest", i, row)
		}
	}
}

// TestMultiKeyDuplicates: in a multi-key session each key's repeated
// values are found by the bucket sort and rule 2 applied as
// protocol/SPEC.md section 11 says, under "first" and "drop": rejects.csv
// lists, key by key, the rows that lost a value in row order (then, with
// "drop", the first rows of the repeated values), then the rows left with
// no key; values of one bucket and of several, runs of three rows, and a
// row whose only key is a duplicate are among them.
func TestMultiKeyDuplicates(t *testing.T) {
	keys := []string{"email", "phone", "maid"}
	// Cells by key of each row; "" is an empty cell.
	var cells [][3]string
	for i := range 400 {
		email, phone, maid := fmt.Sprintf("u%d@example.com", i%150), "", ""
		if i%3 == 0 {
			phone = fmt.Sprintf("+3361%07d", i%40)
		}
		if i%5 == 0 {
			email, maid = "", fmt.Sprintf("6f1c2d3e-0000-4000-8000-%012d", i%7)
		}
		cells = append(cells, [3]string{email, phone, maid})
	}
	for _, mode := range []string{"first", "drop"} {
		t.Run(mode, func(t *testing.T) {
			var in strings.Builder
			in.WriteString("email,phone,maid,consent\n")
			for _, c := range cells {
				in.WriteString(c[0] + "," + c[1] + "," + c[2] + ",1;3;4;7;9\n")
			}
			got, a := readKeyedRows(t, `{"match_keys": ["email", "phone", "maid"], "duplicates": "`+mode+`"}`, in.String())
			defer a.close()
			want, kept := modelRule2(cells, keys, mode == "drop")
			for _, kind := range append(keys, "every identifier also on other rows") {
				if !slices.ContainsFunc(want, func(l string) bool { return strings.Contains(l, kind) }) {
					t.Fatalf("the test rows lose no %s", kind)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("rejects.csv (%d lines) differs from the model's (%d lines)", len(got), len(want))
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("line %d: %q, want %q", i, got[i], want[i])
					}
				}
			}
			if !slices.Equal(a.rows, kept) {
				t.Errorf("kept rows %v, want %v", a.rows, kept)
			}
		})
	}
}

// modelRule2 is rule 2 done with a map of values, as the read did before
// it spilled: the lines of rejects.csv and the rows kept.
func modelRule2(cells [][3]string, keys []string, drop bool) ([]string, []uint32) {
	norm := identifier.Normalizer{}
	present := make([]uint8, len(cells))
	ids := make([][3][16]byte, len(cells))
	for i, c := range cells {
		for k, cell := range c {
			if cell != "" {
				d, _, _ := norm.Digest(identifier.Type(keys[k]), cell)
				ids[i][k], present[i] = [16]byte(d[:16]), present[i]|1<<k
			}
		}
	}
	var lines []string
	for k, name := range keys {
		first := map[[16]byte]int{}
		repeated := map[int]bool{}
		for i := range cells {
			if present[i]&(1<<k) == 0 {
				continue
			}
			f, ok := first[ids[i][k]]
			if !ok {
				first[ids[i][k]] = i
				continue
			}
			present[i] &^= 1 << k
			repeated[f] = true
			lines = append(lines, fmt.Sprintf("%d,duplicate %s: same %s as row %d (this key dropped)", i+1, name, name, f+1))
		}
		if drop {
			firsts := slices.Sorted(maps.Keys(repeated))
			for _, f := range firsts {
				present[f] &^= 1 << k
				lines = append(lines, fmt.Sprintf(`%d,"duplicate %s: on other rows too, dropped from all (""duplicates"": ""drop"")"`, f+1, name))
			}
		}
	}
	var kept []uint32
	for i := range cells {
		if present[i] == 0 {
			lines = append(lines, fmt.Sprintf("%d,every identifier also on other rows (duplicates)", i+1))
		} else {
			kept = append(kept, uint32(i+1))
		}
	}
	return lines, kept
}

// TestOrderRecords: audience.order puts record perm[p] at upload position
// p and the row numbers in byPosition, for sets smaller than the number
// of buckets, of sizes that leave the last buckets empty, and with
// multi-key records of several sizes; a part can start at any position.
func TestOrderRecords(t *testing.T) {
	for _, n := range []int{0, 1, 255, 257, 1148, 5000} {
		for _, keyed := range []bool{false, true} {
			a := &audience{scratch: testScratch(t), kept: n}
			var err error
			if a.recs, err = newRecords(a.scratch, "records", keyed); err != nil {
				t.Fatal(err)
			}
			keysOf := func(j int) uint8 { return uint8(1 + j%7) }
			digestsOf := func(j int) [][32]byte {
				var ds [][32]byte
				for k := range bits.OnesCount8(keysOf(j)) {
					if ds = append(ds, sha256.Sum256([]byte{byte(j), byte(j >> 8), byte(k)})); !keyed {
						break
					}
				}
				return ds
			}
			for j := range n {
				a.recs.append(keysOf(j), uint64(j), digestsOf(j)...)
				a.rows = append(a.rows, uint32(10+j))
			}
			if err := a.recs.finish(); err != nil {
				t.Fatal(err)
			}
			perm := rand.Perm(n)
			perm32 := make([]uint32, n)
			for p, j := range perm {
				perm32[p] = uint32(j)
			}
			if err := a.order(perm32, true); err != nil {
				t.Fatal(err)
			}
			from := n / 3
			rd, err := a.recs.reader(from)
			if err != nil {
				t.Fatal(err)
			}
			for p := from; p < n; p++ {
				j := perm[p]
				rec, err := rd.next()
				if err != nil {
					t.Fatal(err)
				}
				keys, bits, ds := a.recs.fields(rec, nil)
				if bits != uint64(j) || !slices.Equal(ds, digestsOf(j)) || (keyed && keys != keysOf(j)) || a.byPosition[p] != uint32(10+j) {
					t.Fatalf("n %d, keyed %v: position %d holds record %d, row %d; want record %d", n, keyed, p, bits, a.byPosition[p], j)
				}
			}
			a.close()
		}
	}
}
