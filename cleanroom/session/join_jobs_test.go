package session

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

// queuedJobs lists the session's queued jobs of kind.
func (h *harness) queuedJobs(id string, kind store.JobKind) []store.Job {
	h.t.Helper()
	var out []store.Job
	err := h.store.ReadOnly(context.Background(), func(ctx context.Context, tx store.Tx) error {
		jobs, err := tx.Jobs(ctx)
		out = out[:0]
		for _, j := range jobs {
			if j.Session == id && j.Kind == kind {
				out = append(out, j)
			}
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// runHandler runs job j's handler as a runner would, but leaves the job
// queued, as a runner that died before finishing it would.
func (h *harness) runHandler(j store.Job) {
	h.t.Helper()
	if err := h.svc.Handlers()[j.Kind](context.Background(), j); err != nil {
		h.t.Fatalf("%s job %q: %v", j.Kind, j.Arg, err)
	}
}

// joinFileDirs lists the routings whose files lie in the session's part
// directory.
func (h *harness) joinFileDirs(id string) []string {
	h.t.Helper()
	entries, err := os.ReadDir(h.sessionDir(id))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		h.t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), joinFilesPrefix) {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

// ageJoinFiles dates every join file of the session from before the blob
// sweep's grace, as the harness clock tells time.
func (h *harness) ageJoinFiles(id string) {
	h.t.Helper()
	at := h.clock.Now().Add(-DefaultBlobGrace - time.Minute)
	for _, dir := range h.joinFileDirs(id) {
		files, err := os.ReadDir(filepath.Join(h.sessionDir(id), dir))
		if err != nil {
			h.t.Fatal(err)
		}
		for _, f := range files {
			if err := os.Chtimes(filepath.Join(h.sessionDir(id), dir, f.Name()), at, at); err != nil {
				h.t.Fatal(err)
			}
		}
	}
}

// TestJoinJobsAcrossProcesses walks a four-shard join through its jobs
// one at a time: the route job queues one job per shard and runs only
// once however often it is run; the shard jobs run in another process
// (a restart, with a fresh router key) in reverse order, and only the
// last queues the combine job; the blob sweep spares the join's files
// past its grace while the join's jobs are queued; the combine releases
// the exact results and deletes the files.
func TestJoinJobsAcrossProcesses(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.JoinShards, c.ScratchDir = 4, t.TempDir() })
	ctx := context.Background()
	id, a, b := h.uncomputed(smallPolicy)

	route := h.queuedJobs(id, store.JobJoin)
	if len(route) != 1 {
		t.Fatalf("join jobs queued: %+v, want one", route)
	}
	h.runHandler(route[0])
	shards := h.queuedJobs(id, store.JobJoinShard)
	if len(shards) != 4 {
		t.Fatalf("shard jobs queued: %+v, want 4", shards)
	}
	routings := h.joinFileDirs(id)
	h.runHandler(route[0]) // taken over after it had queued its shards
	if again := h.joinFileDirs(id); !slices.Equal(again, routings) || len(routings) != 1 || len(h.queuedJobs(id, store.JobJoinShard)) != 4 {
		t.Fatalf("the join was routed again: routings %v, then %v", routings, again)
	}

	h.reopen()
	for i, j := range slices.Backward(shards) {
		h.runHandler(j)
		h.ageJoinFiles(id)
		if combine := h.queuedJobs(id, store.JobJoinCombine); (len(combine) == 1) != (i == 0) {
			t.Fatalf("after shard job %q: combine jobs %+v", j.Arg, combine)
		}
		if err := h.svc.SweepBlobs(ctx); err != nil {
			t.Fatal(err)
		}
		if got := h.joinFileDirs(id); !slices.Equal(got, routings) {
			t.Fatalf("the sweep took the join's files while its jobs were queued: %v", got)
		}
	}
	if _, err := h.svc.Results(ctx, adv, id); !errors.Is(err, ErrNotReady) {
		t.Fatalf("results before the combine: %v, want ErrNotReady", err)
	}
	h.runHandler(h.queuedJobs(id, store.JobJoinCombine)[0])
	if left := h.joinFileDirs(id); len(left) != 0 {
		t.Fatalf("join files left after the combine: %v", left)
	}
	ra, rb := h.results(id)
	tr := smallTruth(t, smallPolicy, a, b)
	checkResults(t, ra, rb, tr, 5, smallSegments, activatedOf(tr, 5))
	// The jobs left queued (their runner "died") find nothing to do.
	h.runJobs()
	if left := h.joinFileDirs(id); len(left) != 0 {
		t.Fatalf("join files left after the stale jobs: %v", left)
	}
	if ra2, rb2 := h.results(id); ra2.ResultNonce != ra.ResultNonce || rb2.ResultNonce != rb.ResultNonce {
		t.Fatal("the stale combine job released the results again")
	}
}

// TestAbandonedRoutingSwept: the files of a routing that no job names
// (its route job died before queueing the shards, and the join was routed
// again) go with the blob sweep once the join is over and the grace past.
// So does a results object that no row names (a combine job that died
// between writing and recording it); while a job of the join is queued,
// the sweep keeps both, whatever their age: a combine of 10^9
// identifiers writes its results objects for longer than any grace.
func TestAbandonedRoutingSwept(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.JoinShards = 2 })
	ctx := context.Background()
	id, _, _ := h.uncomputed(smallPolicy)
	stale := routing{gen: "00000000000000ff", shards: 2}
	err := h.svc.putJoinFile(ctx, stale.dir(id), stale.shardKey(id, adv.Role, 0), 0, func(io.Writer) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	unrecorded := resultsDir + "/" + id + "/media_partner-00000000000000ff.json"
	err = h.svc.putJoinFile(ctx, resultsDir+"/"+id+"/", unrecorded, 0, func(io.Writer) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	old := h.clock.Now().Add(-DefaultBlobGrace - time.Minute)
	if err := os.Chtimes(filepath.Join(h.dir, filepath.FromSlash(unrecorded)), old, old); err != nil {
		t.Fatal(err)
	}
	h.ageJoinFiles(id)
	if err := h.svc.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.joinFileDirs(id); len(got) != 1 {
		t.Fatalf("join files while the join job is queued: %v, want the stale routing kept", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, filepath.FromSlash(unrecorded))); err != nil {
		t.Fatalf("an unrecorded results object went while the join job was queued: %v", err)
	}
	h.runJobs()
	if got := h.joinFileDirs(id); len(got) != 1 {
		t.Fatalf("join files after the join: %v, want the stale routing only", got)
	}
	if err := h.svc.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.joinFileDirs(id); len(got) != 0 {
		t.Fatalf("join files after the sweep: %v, want none", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, filepath.FromSlash(unrecorded))); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an unrecorded results object of a computed session survived the sweep: %v", err)
	}
}

// TestJoinJobArguments: the arguments of the join's jobs are read
// default-deny: one spelling per job, shard counts that are powers of
// two up to maxJoinShards, shard numbers below the count.
func TestJoinJobArguments(t *testing.T) {
	r := routing{gen: "0123456789abcdef", shards: 16}
	if got, err := parseRouting(r.combineArg()); err != nil || got != r {
		t.Fatalf("combine argument: %+v %v", got, err)
	}
	if got, k, err := parseShardArg(r.shardArg(15)); err != nil || got != r || k != 15 {
		t.Fatalf("shard argument: %+v %d %v", got, k, err)
	}
	for _, arg := range []string{
		"", "/", "//", "0123456789abcdef", "0123456789abcdef/", "0123456789abcdef/0", "0123456789abcdef/3",
		"0123456789abcdef/2097152", "0123456789abcdef/-4", "0123456789abcdef/+4", "0123456789abcdef/04",
		"0123456789ABCDEF/4", "0123456789abcde/4", "0123456789abcdef0/4", "0123456789abcdeg/4",
		"../../etc/4", "0123456789abcdef/4/", "0123456789abcdef/ 4",
	} {
		if r, err := parseRouting(arg); err == nil {
			t.Errorf("combine argument %q accepted: %+v", arg, r)
		}
	}
	for _, arg := range []string{
		"0123456789abcdef/4", "0123456789abcdef/4/4", "0123456789abcdef/4/5", "0123456789abcdef/4/-1",
		"0123456789abcdef/4/01", "0123456789abcdef/4/x", "0123456789abcdef/4/1/1", "0123456789abcdef//1",
	} {
		if r, k, err := parseShardArg(arg); err == nil {
			t.Errorf("shard argument %q accepted: %+v %d", arg, r, k)
		}
	}
}

func FuzzJoinJobArguments(f *testing.F) {
	for _, seed := range []string{"0123456789abcdef/16", "0123456789abcdef/16/3", "0123456789abcdef/1/0", "x/1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		if r, err := parseRouting(arg); err == nil && r.combineArg() != arg {
			t.Fatalf("combine argument %q read as %+v, which is written %q", arg, r, r.combineArg())
		}
		if r, k, err := parseShardArg(arg); err == nil && r.shardArg(k) != arg {
			t.Fatalf("shard argument %q read as %+v %d, which is written %q", arg, r, k, r.shardArg(k))
		}
	})
}

// TestCorruptJoinFiles: a join file that no longer holds what its
// count says, or candidates that name rows beyond the sets, stop the
// combine with errCorrupt and release nothing; the job fails, to be
// retried (and logged), rather than link from a damaged file.
func TestCorruptJoinFiles(t *testing.T) {
	pairOf := func(advRow, partnerRow uint64) []byte {
		rec := make([]byte, pairSize)
		pair{adv: joinRow{row: advRow, keys: 1}, partner: joinRow{row: partnerRow, keys: 1}}.put(rec)
		return rec
	}
	count := func(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
	cases := map[string][]byte{
		"empty":                 {},
		"count cut short":       {0, 0, 0},
		"fewer records":         append(count(2), pairOf(1, 1)...),
		"record cut short":      append(count(1), pairOf(1, 1)[:pairSize-1]...),
		"more records":          append(append(count(1), pairOf(1, 1)...), pairOf(2, 2)...),
		"a byte after":          append(append(count(1), pairOf(1, 1)...), 0),
		"advertiser row beyond": append(count(1), pairOf(1<<40, 1)...),
		"partner row beyond":    append(count(1), pairOf(1, 1<<40)...),
		"huge count":            append(count(1<<62), pairOf(1, 1)...),
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.JoinShards = 1 })
			id, _, _ := h.uncomputed(smallPolicy)
			h.runHandler(h.queuedJobs(id, store.JobJoin)[0])
			h.runHandler(h.queuedJobs(id, store.JobJoinShard)[0])
			combine := h.queuedJobs(id, store.JobJoinCombine)[0]
			r, err := parseRouting(combine.Arg)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(h.dir, filepath.FromSlash(r.candidatesKey(id, 0, 0)))
			if err := os.WriteFile(file, content, 0o600); err != nil {
				t.Fatal(err)
			}
			err = h.svc.Handlers()[store.JobJoinCombine](context.Background(), combine)
			wantErr(t, err, errCorrupt)
			if _, err := h.svc.Results(context.Background(), adv, id); !errors.Is(err, ErrNotReady) {
				t.Fatalf("results after a failed combine: %v, want ErrNotReady", err)
			}
		})
	}
}

// TestMissingJoinFile: a shard whose entries are gone fails its job,
// naming the file, rather than joining what is left.
func TestMissingJoinFile(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.JoinShards = 2 })
	id, _, _ := h.uncomputed(smallPolicy)
	h.runHandler(h.queuedJobs(id, store.JobJoin)[0])
	j := h.queuedJobs(id, store.JobJoinShard)[0]
	r, k, err := parseShardArg(j.Arg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(h.dir, filepath.FromSlash(r.shardKey(id, partner.Role, k)))); err != nil {
		t.Fatal(err)
	}
	err = h.svc.Handlers()[store.JobJoinShard](context.Background(), j)
	if err == nil || !strings.Contains(err.Error(), "join file") {
		t.Fatalf("shard job without its entries: %v", err)
	}
	if combine := h.queuedJobs(id, store.JobJoinCombine); len(combine) != 0 {
		t.Fatalf("combine queued after a failed shard: %+v", combine)
	}
}
