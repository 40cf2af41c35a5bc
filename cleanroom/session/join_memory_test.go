package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gtank/ristretto255"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// BenchmarkJoinMemory measures the heap the server's duplicate check,
// relay and join take for two sets of joinBenchIdentifiers identifiers
// each (or BLINDJOIN_JOIN_BENCH_IDENTIFIERS; half of them in common,
// every common one released for activation) under a 64 MiB memory
// budget, through the service: real intake, relay jobs and join job. It
// is a measurement, not a timed test: run it alone, once,
//
//	go test -run XXX -bench JoinMemory -benchtime 1x ./cleanroom/session/
//
// and read the heap peaks: the largest heap in use, above what was in use
// before, while the part that completes the partner's set is checked
// (check), while the relay jobs run (relay) and while the join job runs,
// release of the results included (join), the join's wall time (join-s),
// the time its jobs took (the route job, route-s; the shard jobs, all of
// them, shards-s, and their number; the combine job, combine-s, release
// included) and the size of the media partner's results
// (partner-results-MB).
func BenchmarkJoinMemory(b *testing.B) {
	n := joinBenchIdentifiers
	if v := os.Getenv("BLINDJOIN_JOIN_BENCH_IDENTIFIERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("BLINDJOIN_JOIN_BENCH_IDENTIFIERS=%q: want a number of at least 1000", v)
		}
	}
	for b.Loop() {
		m := measureJoin(b, n, n/2)
		b.ReportMetric(float64(m.check)/(1<<20), "check-heap-peak-MB")
		b.ReportMetric(float64(m.relay)/(1<<20), "relay-heap-peak-MB")
		b.ReportMetric(float64(m.join)/(1<<20), "join-heap-peak-MB")
		b.ReportMetric(m.joinTime.Seconds(), "join-s")
		b.ReportMetric(m.jobs[store.JobJoin].Seconds(), "route-s")
		b.ReportMetric(m.jobs[store.JobJoinShard].Seconds(), "shards-s")
		b.ReportMetric(float64(m.shards), "shards")
		b.ReportMetric(m.jobs[store.JobJoinCombine].Seconds(), "combine-s")
		b.ReportMetric(float64(m.partnerResults)/(1<<20), "partner-results-MB")
	}
}

// TestReleaseMemoryBounded: the release of a media partner's activation
// of 1,000,000 records, results of 30 MB, from the join's activation
// spill to the stored results object, under the least memory budget,
// keeps its heap within a few megabytes: one scratch bucket sorted at a
// time, the JSON encoded as it is written. (The release as it was, with
// the activation list, the view and two encodings in memory, peaked at
// about 250 MB for these records.)
func TestReleaseMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes 90 MB of results")
	}
	const n = 1_000_000
	h := newHarness(t, func(c *Config) { c.MemoryBudget, c.ScratchDir = MinMemoryBudget, t.TempDir() })
	spilled, err := h.svc.newActivationSpill(n)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range rng.Perm(n) { // in the join's order: any
		spilled.add(activation{record: uint64(r), segments: 1 + rng.Uint64N(3)})
	}
	activated, err := spilled.finish()
	if err != nil {
		t.Fatal(err)
	}
	defer activated.Remove()
	if activated.Count() < 2 {
		t.Fatalf("%d activation bucket; the test wants several", activated.Count())
	}
	view := api.Results{SessionID: "s", Role: api.RoleMediaPartner, Segments: map[string]*int64{}, ComputedAt: t0}
	var stored store.Result
	peak := heapPeak(func() {
		act := activationOf(releaseInput{pol: policy.Default(), segments: []string{"a", "b"}, tally: tally{actCounts: []int64{n, n}}})
		view.Activation = &api.Activation{Segments: act.segments}
		released, err := h.svc.sortActivations(activated, act.mask)
		if err != nil {
			t.Fatal(err)
		}
		defer released.Remove()
		if stored, _, err = h.svc.storeResults(context.Background(), view, activationRecords(released, act)); err != nil {
			t.Fatal(err)
		}
	})
	if stored.Size < 25<<20 {
		t.Fatalf("results of %d bytes; the test wants tens of megabytes", stored.Size)
	}
	if limit := uint64(12 << 20); peak > limit {
		t.Fatalf("releasing %d activation records (%d MB of results) took %.1f MB of heap, more than %d MB",
			n, stored.Size>>20, float64(peak)/(1<<20), limit>>20)
	}
	t.Logf("%d activation records, %.1f MB of results, heap peak %.1f MB", n, float64(stored.Size)/(1<<20), float64(peak)/(1<<20))
}

// joinMeasure is what measureJoin measured.
type joinMeasure struct {
	check, relay, join uint64 // heap peaks (heapPeak)
	joinTime           time.Duration
	jobs               map[store.JobKind]time.Duration // the join's jobs, by kind, summed
	shards             int
	activations        int   // the media partner's activation records
	partnerResults     int64 // bytes of its results
}

// measureJoin runs a session of two sets of n identifiers, the partner's
// starting offset identifiers into the advertiser's, through the service
// under a 64 MiB budget (opts may change the configuration further) and
// measures the heap of each stage. The advertiser's rows are all in the
// session's one segment, so every common identifier is activated. To
// spare the test the parties' real cryptography, the elements are
// consecutive multiples of the base point (valid and distinct, which is
// all the intake checks) and the re-blinded digests a hash of the relayed
// element: the join cannot tell them apart from real ones.
func measureJoin(tb testing.TB, n, offset int, opts ...func(*Config)) joinMeasure {
	pol := policy.Default()
	// The elements die before the measurements: the collector lets the
	// heap grow in proportion to all that is live, the test's data too.
	elems := benchElements(n + offset)
	h := newHarness(tb, append([]func(*Config){func(c *Config) {
		c.MemoryBudget, c.ScratchDir, c.RelayPartRecords = 64<<20, tb.TempDir(), 1<<19
	}}, opts...)...)
	sess := h.createJoined(`{"min_rows": 10, "k": 5}`, "all")
	parties := []*partyData{newParty(tb, adv, nil, pol, 1), newParty(tb, partner, nil, pol, 0)}
	parts := make([][][]byte, len(parties))
	for i, pd := range parties {
		recs := make([][]byte, n)
		for j := range recs {
			recs[j] = wiretest.BlindedRecord(elems[i*offset+j], wiretest.AllBits(pd.attrs), pd.attrs)
		}
		parts[i] = wiretest.Parts(tb, sess.ID, wire.KindBlinded, pd.attrs, recs, 1<<19)
	}
	elems = nil
	var m joinMeasure
	for i, pd := range parties {
		for k := range parts[i] {
			part := parts[i][k]
			parts[i][k] = nil // the one part left in memory while it is put
			put := func() {
				if _, err := h.svc.PutBlinded(context.Background(), pd.p, sess.ID, bytes.NewReader(part)); err != nil {
					tb.Fatal(err)
				}
			}
			if i == 1 && k == len(parts[i])-1 {
				m.check = heapPeak(put)
			} else {
				put()
			}
		}
	}
	m.relay = heapPeak(h.runJobs)
	for _, p := range []Principal{adv, partner} {
		for _, part := range benchReblind(tb, h.download(sess.ID, p)) {
			if _, err := h.svc.PutReblinded(context.Background(), p, sess.ID, bytes.NewReader(part)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	start := time.Now()
	m.join = heapPeak(h.runJobs)
	m.joinTime = time.Since(start)
	m.jobs, m.shards = h.jobTimes(sess.ID)
	ra, rb := h.results(sess.ID)
	if ra.Overlap == nil || *ra.Overlap != int64(n-offset) {
		tb.Fatalf("overlap %v, want %d", ra.Overlap, n-offset)
	}
	m.activations = len(rb.Activation.Records)
	m.partnerResults = h.storedResult(sess.ID, api.RoleMediaPartner).Size
	return m
}

// jobTimes sums the durations the jobs runner logged for the session's
// jobs, by kind, and counts its shard jobs.
func (h *harness) jobTimes(id string) (map[store.JobKind]time.Duration, int) {
	times, shards := map[store.JobKind]time.Duration{}, 0
	for line := range strings.Lines(h.logs.String()) {
		var r struct {
			Msg, Job, Session string
			Duration          time.Duration
		}
		if json.Unmarshal([]byte(line), &r) != nil || r.Msg != "job done" || r.Session != id {
			continue
		}
		times[store.JobKind(r.Job)] += r.Duration
		if store.JobKind(r.Job) == store.JobJoinShard {
			shards++
		}
	}
	return times, shards
}

// joinBenchIdentifiers is the size of each set of BenchmarkJoinMemory.
const joinBenchIdentifiers = 2 << 20

// benchElements returns n distinct valid elements: G, 2G, 3G, ...
func benchElements(n int) []blind.Element {
	out := make([]blind.Element, n)
	g, p := ristretto255.NewElement().Base(), ristretto255.NewElement().Base()
	for i := range out {
		copy(out[i][:], p.Encode(nil))
		p.Add(p, g)
	}
	return out
}

// benchReblind answers relayed parts with join parts whose digests are a
// hash of the relayed element: equal elements of both sets give equal
// digests, as the parties' real re-blinding would.
func benchReblind(t testing.TB, relayed [][]byte) [][]byte {
	out := make([][]byte, len(relayed))
	for i, part := range relayed {
		h, elems := wiretest.Elements(t, part)
		recs := make([][]byte, len(elems))
		for j, e := range elems {
			d := sha256.Sum256(e[:])
			recs[j] = d[:blind.JoinDigestSize]
		}
		out[i] = wiretest.Part(t, wiretest.JoinHeader(h), recs)
		relayed[i] = nil
	}
	return out
}

// heapPeak runs fn and returns the largest heap in use while it ran,
// sampled every millisecond, above what was in use before it started.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base, peak := m.HeapInuse, m.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}
