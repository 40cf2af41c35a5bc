package session

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// join computes the tally of a session whose re-blinded sets are both
// complete, in memory bounded by the budget whatever the sets' sizes, and
// returns it with the number of shards it used:
//
//  1. Routing, per side (routeSide): each join digest, with the row and
//     key of the identifier it stands for, goes to one of S shards on
//     scratch disk by a keyed hash of the digest (router), so that equal
//     digests of both sides meet in one shard.
//  2. Shards, one after another: both sides' entries of the shard are
//     loaded, sorted and merged (mergeShard). Candidates of a one-key
//     session are links at once; those of a multi-key session go to one
//     scratch file per round.
//  3. Rounds (multi-key only), in key order: each round's candidates are
//     offered to the linker, which keeps one bit per row and side.
//
// S is the least power of two for which a shard's entries fit a quarter
// of the budget (fanOut), 1 up to about 950,000 identifiers a side at the
// default budget: the in-memory join is the one-shard case of the same
// code. The result does not depend on S,
// the routing key or the order of the shards: a row has at most one
// candidate per round (mergeShard), so the waterfall over all shards'
// candidates is the waterfall over one sorted list.
func (s *Service) join(sess store.Session, sp sessionParts, buckets map[api.Role]int, rules joinRules) (tally, int, error) {
	owners := [2]api.Role{api.RoleAdvertiser, api.RoleMediaPartner}
	var ids, rows [2]uint64
	var linkerMemory int64
	for i, owner := range owners {
		ids[i] = statusOf(sp.relay[otherSide(owner)]).records
		rows[i] = statusOf(sp.blinded[owner]).counting
		if rules.rounds > 1 {
			linkerMemory += int64(rows[i] / 8)
		}
	}
	shards := s.fanOut(ids[0]+ids[1], joinEntryMemory, linkerMemory)
	route := newRouter(shards)

	var routed [2]*spill.Buckets
	var evals [2]*policy.Evaluator
	var errs [2]error
	removeRouted := func() {
		for i, r := range routed {
			if r != nil {
				r.Remove()
				routed[i] = nil
			}
		}
	}
	defer removeRouted()
	routeOne := func(i int) {
		routed[i], evals[i], errs[i] = s.routeSide(sess, sp, buckets, owners[i], route)
	}
	// The two sides run on two cores if both fit in a quarter of the
	// budget together, as a shard must (fanOut). Each phase's working set
	// (a side's relay bucket, then the shards) dies whole at its end, and
	// the collector would let the next one grow on top of it up to twice
	// what was live at its last collection: a collection between phases,
	// of a heap that holds almost no pointers, costs a few milliseconds.
	if s.routeMemory(ids[0], buckets[owners[1]])+s.routeMemory(ids[1], buckets[owners[0]]) <= s.memBudget/4 {
		var wg sync.WaitGroup
		wg.Go(func() { routeOne(0) })
		routeOne(1)
		wg.Wait()
	} else {
		routeOne(0)
		runtime.GC()
		if errs[0] == nil {
			routeOne(1)
		}
	}
	if err := errors.Join(errs[:]...); err != nil {
		return tally{}, 0, err
	}
	runtime.GC()

	l := newLinker(rules, evals[0], evals[1], rows[0], rows[1])
	emit := func(round int, p pair) error {
		l.offer(round, p)
		return nil
	}
	var candidates *spill.Writer
	if rules.rounds > 1 {
		var err error
		if candidates, err = spill.Create(s.scratchDir, rules.rounds, pairSize, s.spillBuffers()); err != nil {
			return tally{}, 0, fmt.Errorf("session: join scratch: %w", err)
		}
		rec := make([]byte, pairSize)
		emit = func(round int, p pair) error {
			p.put(rec)
			return candidates.Add(round, rec)
		}
	}
	err := joinShards(routed, rules.rounds, emit)
	removeRouted()
	if err != nil {
		if candidates != nil {
			candidates.Abandon()
		}
		return tally{}, 0, err
	}
	if candidates == nil {
		return l.t, shards, nil
	}
	byRound, err := candidates.Finish()
	if err != nil {
		return tally{}, 0, fmt.Errorf("session: join scratch: %w", err)
	}
	defer byRound.Remove()
	for round := range rules.rounds {
		err := byRound.Each(round, func(rec []byte) error {
			l.offer(round, getPair(rec))
			return nil
		})
		if err != nil {
			return tally{}, 0, fmt.Errorf("session: join scratch: %w", err)
		}
	}
	return l.t, shards, nil
}

// joinShards merges the shards of both sides one after another, in one
// slice per side (bucketCapacity).
func joinShards(routed [2]*spill.Buckets, rounds int, emit func(round int, p pair) error) error {
	var entries [2][]joinEntry
	for i, r := range routed {
		entries[i] = make([]joinEntry, 0, bucketCapacity(r))
	}
	for k := range routed[0].Count() {
		for i, r := range routed {
			var err error
			if entries[i], err = loadShard(r, k, entries[i]); err != nil {
				return err
			}
		}
		if err := mergeShard(entries[0], entries[1], rounds, emit); err != nil {
			return err
		}
	}
	return nil
}

// loadShard reads shard k of a side into entries' storage. Of a digest
// the side repeats, the merge uses the first entry only (mergeShard), so
// when the shard outgrows entries (makeRoom) its other entries go.
func loadShard(r *spill.Buckets, k int, entries []joinEntry) ([]joinEntry, error) {
	entries = entries[:0]
	err := r.Each(k, func(rec []byte) error {
		entries, _ = makeRoom(entries, compareEntries, sameDigest)
		entries = append(entries, getJoinEntry(rec))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("session: join scratch: %w", err)
	}
	return entries, nil
}

func sameDigest(a, b joinEntry) bool { return a.digest == b.digest }

// routeSide writes owner's join entries into shards on scratch disk
// (route) and returns them with owner's policy evaluator. The other
// side's re-blinded upload holds owner's identifiers in the order it
// received them: relay position j carries the identifier that the relay
// to it put at j. So owner's identifiers are scattered by that relay's
// order (scatterByRelay), each with its key and row, read back in relay
// order (relayStream, one relay bucket in memory at a time) and zipped
// with the re-blinded digests.
func (s *Service) routeSide(sess store.Session, sp sessionParts, buckets map[api.Role]int, owner api.Role, route router) (*spill.Buckets, *policy.Evaluator, error) {
	attrs, eval, err := sideEvaluator(sess, owner)
	if err != nil {
		return nil, nil, err
	}
	reblinder := otherSide(owner)
	order, err := s.relayOrder(sess, reblinder, buckets[reblinder])
	if err != nil {
		return nil, nil, err
	}
	identifiers, err := s.scatterByRelay(sp.blinded[owner], attrs, eval, order, identifierSize,
		func(dst []byte, r countingRecord, e int) {
			putIdentifier(dst, nthKey(r.keys, e), joinRow{row: r.row, index: r.index, bits: r.bits, keys: r.keys})
		})
	if err != nil {
		return nil, nil, err
	}
	defer identifiers.Remove()
	// One buffer of the largest relay bucket, allocated once.
	var largest uint64
	for k := range identifiers.Count() {
		largest = max(largest, identifiers.Len(k))
	}
	stream := &relayStream{spilled: identifiers, order: order, size: identifierSize, data: make([]byte, 0, largest*identifierSize)}
	w, err := spill.Create(s.scratchDir, route.buckets, joinEntrySize, s.spillBuffers())
	if err != nil {
		return nil, nil, fmt.Errorf("session: join scratch: %w", err)
	}
	n := identifiers.Total()
	var seen uint64
	var streamErr error
	rec := make([]byte, joinEntrySize)
	for _, p := range sp.reblinded[reblinder] {
		if p.First != seen {
			w.Abandon()
			return nil, nil, fmt.Errorf("%w: re-blinded part %d starts at %d, after %d records", errCorrupt, p.Index, p.First, seen)
		}
		err := s.readPart(p, wire.KindJoin, func(_ uint64, digest []byte) {
			if seen++; streamErr != nil || seen > n {
				return
			}
			var id []byte
			if id, streamErr = stream.next(); streamErr == nil {
				copy(rec, digest)
				copy(rec[16:], id)
				streamErr = w.Add(route.bucket(digest), rec)
			}
		})
		if err == nil {
			err = streamErr
		}
		if err != nil {
			w.Abandon()
			return nil, nil, err
		}
	}
	if seen != n {
		w.Abandon()
		return nil, nil, fmt.Errorf("%w: re-blinded set of %d records for %d relayed", errCorrupt, seen, n)
	}
	routed, err := w.Finish()
	if err != nil {
		return nil, nil, fmt.Errorf("session: join scratch: %w", err)
	}
	return routed, eval, nil
}

// nthKey is the key index of a record's e-th identifier: the e-th key
// its mask carries.
func nthKey(keys uint8, e int) uint8 {
	for range e {
		keys &= keys - 1
	}
	return uint8(bits.TrailingZeros8(keys))
}

// routeMemory estimates what routeSide holds for a side of n identifiers
// relayed in relayBuckets buckets: one relay bucket (a quarter above the
// average) with its order, and the shards' write buffers.
func (s *Service) routeMemory(n uint64, relayBuckets int) int64 {
	bucket := n / uint64(max(relayBuckets, 1)) * 5 / 4
	return int64(bucket)*(identifierSize+4) + int64(s.spillBuffers())
}
