package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gtank/ristretto255"

	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// BenchmarkJoinMemory measures the heap the server's duplicate check,
// relay and join take for two sets of joinBenchIdentifiers identifiers
// each (or BLINDJOIN_JOIN_BENCH_IDENTIFIERS; half of them in common)
// under a 64 MiB memory budget, through the service: real
// intake, relay jobs and join job. It is a measurement, not a timed test:
// run it alone, once,
//
//	go test -run XXX -bench JoinMemory -benchtime 1x ./cleanroom/session/
//
// and read the heap peaks: the largest heap in use, above what was in use
// before, while the part that completes the partner's set is checked
// (check), while the relay jobs run (relay) and while the join job runs
// (join), and the join job's wall time (join-s). To spare the test the parties' real
// cryptography, the elements are consecutive multiples of the base point
// (valid and distinct, which is all the intake checks) and the re-blinded
// digests a hash of the relayed element: the join cannot tell them apart
// from real ones.
func BenchmarkJoinMemory(b *testing.B) {
	n := joinBenchIdentifiers
	if v := os.Getenv("BLINDJOIN_JOIN_BENCH_IDENTIFIERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("BLINDJOIN_JOIN_BENCH_IDENTIFIERS=%q: want a number of at least 1000", v)
		}
	}
	pol := policy.Default()
	for b.Loop() {
		// The elements die before the measurements: the collector lets the
		// heap grow in proportion to all that is live, the test's data too.
		elems := benchElements(n + n/2)
		h := newHarness(b, func(c *Config) {
			c.MemoryBudget, c.ScratchDir, c.RelayPartRecords = 64<<20, b.TempDir(), 1<<19
		})
		sess := h.createJoined(`{"min_rows": 10, "k": 5}`)
		parties := []*partyData{newParty(b, adv, nil, pol, 0), newParty(b, partner, nil, pol, 0)}
		parts := make([][][]byte, len(parties))
		for i, pd := range parties {
			recs := make([][]byte, n)
			for j := range recs {
				recs[j] = wiretest.BlindedRecord(elems[i*n/2+j], wiretest.AllBits(pd.attrs), pd.attrs)
			}
			parts[i] = wiretest.Parts(b, sess.ID, wire.KindBlinded, pd.attrs, recs, 1<<19)
		}
		elems = nil
		var checkPeak, relayPeak, joinPeak uint64
		for i, pd := range parties {
			for k := range parts[i] {
				part := parts[i][k]
				parts[i][k] = nil // the one part left in memory while it is put
				put := func() {
					if _, err := h.svc.PutBlinded(context.Background(), pd.p, sess.ID, bytes.NewReader(part)); err != nil {
						b.Fatal(err)
					}
				}
				if i == 1 && k == len(parts[i])-1 {
					checkPeak = heapPeak(put)
				} else {
					put()
				}
			}
		}
		relayPeak = heapPeak(h.runJobs)
		for _, p := range []Principal{adv, partner} {
			for _, part := range benchReblind(b, h.download(sess.ID, p)) {
				if _, err := h.svc.PutReblinded(context.Background(), p, sess.ID, bytes.NewReader(part)); err != nil {
					b.Fatal(err)
				}
			}
		}
		start := time.Now()
		joinPeak = heapPeak(h.runJobs)
		joinTime := time.Since(start)
		ra, _ := h.results(sess.ID)
		if ra.Overlap == nil || *ra.Overlap != int64(n/2) {
			b.Fatalf("overlap %v, want about %d", ra.Overlap, n/2)
		}
		b.ReportMetric(float64(checkPeak)/(1<<20), "check-heap-peak-MB")
		b.ReportMetric(float64(relayPeak)/(1<<20), "relay-heap-peak-MB")
		b.ReportMetric(float64(joinPeak)/(1<<20), "join-heap-peak-MB")
		b.ReportMetric(joinTime.Seconds(), "join-s")
	}
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
