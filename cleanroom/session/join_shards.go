package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// The join runs as jobs, so that its shards spread over every runner of
// a cluster and no job holds more than one shard of it, whatever the
// sets' sizes:
//
//  1. Route (the join job, routeJoin): each side's join digests, with the
//     row and key of the identifier each stands for, go to one of S
//     shards by a keyed hash of the digest (router), so that equal
//     digests of both sides meet in one shard; each shard of each side is
//     written to the blob store (routing), and a shard job is queued for
//     each.
//  2. Shards (joinShardJob, on any runner, in any order): both sides'
//     entries of shard k are loaded, sorted and merged (mergeShard); the
//     candidate pairs go to the blob store, one file per round. The shard
//     that finds all S shards done queues the combine job.
//  3. Combine (compute): the candidates of every shard are offered to the
//     linker round by round in key order; then the policy, k and the
//     noise are applied once and the results committed.
//
// S is the least power of two for which a shard's entries fit a quarter
// of the budget (fanOut), 1 up to about 950,000 identifiers a side at the
// default budget. The result does not depend on S, the routing key or the
// order of the shards: a row has at most one candidate per round
// (mergeShard), so the waterfall over all shards' candidates is the
// waterfall over one sorted list.

// routeJoin is the join job of a session whose re-blinded sets are both
// complete: it routes the join (step 1 above). A session not ready to
// join, or whose join is routed already (its shard or combine jobs are
// queued: this job taken over after it had queued them), needs nothing.
func (s *Service) routeJoin(ctx context.Context, id string) error {
	unlock := s.locks.lock(id)
	defer unlock()
	in, err := s.loadJoin(ctx, id)
	if err != nil || in == nil {
		return err
	}
	if routed, err := s.joinUnderWay(ctx, id, store.JobJoinShard, store.JobJoinCombine); err != nil || routed {
		return err
	}
	var ids [2]uint64
	for i, owner := range joinSides {
		ids[i] = statusOf(in.sp.relay[otherSide(owner)]).records
	}
	r, err := s.newRouting(s.fanOut(ids[0]+ids[1], joinEntryMemory, 0))
	if err != nil {
		return err
	}
	routed, err := s.routeSides(in, ids, newRouter(r.shards))
	if err != nil {
		return err
	}
	keepFiles := false // once the shard jobs may need them
	defer func() {
		for _, b := range routed {
			b.Remove()
		}
		if !keepFiles {
			s.removeRouting(ctx, id, r)
		}
	}()
	for i, owner := range joinSides {
		err := s.uploadSpill(ctx, r.dir(id), routed[i], func(k int) string { return r.shardKey(id, owner, k) })
		if err != nil {
			return err
		}
	}
	args := make([]string, r.shards)
	for k := range args {
		args[k] = r.shardArg(k)
	}
	queued, err := s.enqueueWhileExchanging(ctx, id, store.JobJoinShard, args...)
	if err != nil {
		// The commit may have happened all the same (a connection lost
		// during it), and then the shard jobs need the files: they are
		// left to the blob sweep, which removes them once no job of the
		// join is queued.
		keepFiles = true
		return err
	}
	keepFiles = queued
	return nil
}

// joinSides are the two sides of a join, in the order of its arrays.
var joinSides = [2]api.Role{api.RoleAdvertiser, api.RoleMediaPartner}

// routeSides routes both sides (routeSide), whose relays carried ids
// identifiers each. The two run on two cores if both fit in a quarter of
// the budget together, as a shard must (fanOut). Each phase's working set
// (a side's relay bucket) dies whole at its end, and the collector would
// let the next one grow on top of it up to twice what was live at its
// last collection: a collection between phases, of a heap that holds
// almost no pointers, costs a few milliseconds.
func (s *Service) routeSides(in *joinInput, ids [2]uint64, route router) ([2]*spill.Buckets, error) {
	var routed [2]*spill.Buckets
	var errs [2]error
	routeOne := func(i int) {
		routed[i], errs[i] = s.routeSide(in, joinSides[i], route)
	}
	if s.routeMemory(ids[0], in.buckets[joinSides[1]])+s.routeMemory(ids[1], in.buckets[joinSides[0]]) <= s.memBudget/4 {
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
	runtime.GC()
	if err := errors.Join(errs[:]...); err != nil {
		for _, b := range routed {
			if b != nil {
				b.Remove()
			}
		}
		return routed, err
	}
	return routed, nil
}

// joinShardJob joins shard k of a routing (step 2 above). A session that
// is no longer exchanging needs nothing: its end deletes the files.
func (s *Service) joinShardJob(ctx context.Context, j store.Job) error {
	r, k, err := parseShardArg(j.Arg)
	if err != nil {
		return err
	}
	id := j.Session
	var sess store.Session
	err = s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		sess, err = tx.Session(ctx, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("session: join shard: %w", err)
	}
	if sess.State != api.StateExchanging {
		return nil
	}
	pol, err := policy.Parse(sess.Policy)
	if err != nil {
		return fmt.Errorf("session: stored policy: %w", err)
	}
	rounds := len(pol.Keys(sess.MatchKey))
	if err := s.mergeShardFiles(ctx, id, r, k, rounds); err != nil {
		return err
	}
	if err := s.putJoinFile(ctx, r.dir(id), r.doneKey(id, k), 0, func(io.Writer) error { return nil }); err != nil {
		return err
	}
	// Every shard writes its marker before it looks at the others', so
	// of two shards finishing together at least the later one sees both.
	done, err := s.shardsDone(ctx, id, r)
	if err != nil || !done {
		return err
	}
	_, err = s.enqueueWhileExchanging(ctx, id, store.JobJoinCombine, r.combineArg())
	return err
}

// enqueueWhileExchanging queues a job of kind for each of args, unless
// the session has ended meanwhile, reports whether it did and starts
// them. An error leaves it unknown whether the commit happened.
func (s *Service) enqueueWhileExchanging(ctx context.Context, id string, kind store.JobKind, args ...string) (bool, error) {
	queued := false
	err := s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		queued = false // the store may run this again
		sess, err := tx.Session(ctx, id)
		if err != nil || sess.State != api.StateExchanging {
			return err
		}
		for _, arg := range args {
			if err := s.enqueue(ctx, tx, kind, id, arg); err != nil {
				return err
			}
		}
		queued = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("session: join: %w", err)
	}
	if queued {
		s.notify()
	}
	return queued, nil
}

// mergeShardFiles loads shard k of both sides, merges it and writes its
// candidates, one join file per round. They go through scratch disk
// first, since a pending object holds a multipart buffer and one per
// round would not fit the budget (uploadSpill).
func (s *Service) mergeShardFiles(ctx context.Context, id string, r routing, k, rounds int) error {
	var entries [2][]joinEntry
	for i, owner := range joinSides {
		var err error
		if entries[i], err = s.loadShard(ctx, r.shardKey(id, owner, k)); err != nil {
			return err
		}
	}
	candidates, err := spill.Create(s.scratchDir, rounds, pairSize, s.spillBuffers())
	if err != nil {
		return fmt.Errorf("session: join scratch: %w", err)
	}
	rec := make([]byte, pairSize)
	err = mergeShard(entries[0], entries[1], rounds, func(round int, p pair) error {
		p.put(rec)
		return candidates.Add(round, rec)
	})
	entries = [2][]joinEntry{}
	if err != nil {
		candidates.Abandon()
		return fmt.Errorf("session: join scratch: %w", err)
	}
	byRound, err := candidates.Finish()
	if err != nil {
		return fmt.Errorf("session: join scratch: %w", err)
	}
	defer byRound.Remove()
	return s.uploadSpill(ctx, r.dir(id), byRound, func(round int) string { return r.candidatesKey(id, k, round) })
}

// loadShard reads a side's entries of a shard. Of a digest the side
// repeats, the merge uses the first entry only (mergeShard), so when the
// shard outgrows what the budget plans for one (shardCapacity, makeRoom)
// its other entries go.
func (s *Service) loadShard(ctx context.Context, key string) ([]joinEntry, error) {
	var entries []joinEntry
	err := s.readJoinFile(ctx, key, joinEntrySize, func(n uint64) {
		entries = make([]joinEntry, 0, min(n, s.shardCapacity()))
	}, func(rec []byte) {
		entries, _ = makeRoom(entries, entryOrder)
		entries = append(entries, getJoinEntry(rec))
	})
	return entries, err
}

// shardCapacity is the most entries of one side that a shard job holds
// before it drops repeats: what fanOut plans for a whole shard. Only a
// party that repeats one digest many times fills a shard beyond it.
func (s *Service) shardCapacity() uint64 {
	return uint64(max(s.memBudget/4, MinMemoryBudget/4)) / joinEntryMemory
}

// link offers the candidates of every shard of a routing to the linker,
// round by round in key order (step 3 above), and returns the tally.
func (s *Service) link(ctx context.Context, in *joinInput, r routing, rules joinRules) (tally, error) {
	var evals [2]*policy.Evaluator
	var rows [2]uint64
	for i, owner := range joinSides {
		var err error
		if _, evals[i], err = sideEvaluator(in.sess, owner); err != nil {
			return tally{}, err
		}
		rows[i] = statusOf(in.sp.blinded[owner]).counting
	}
	l := newLinker(rules, evals[0], evals[1], rows[0], rows[1])
	for round := range rules.rounds {
		for k := range r.shards {
			var bad error
			key := r.candidatesKey(in.sess.ID, k, round)
			err := s.readJoinFile(ctx, key, pairSize, func(uint64) {}, func(rec []byte) {
				p := getPair(rec)
				if bad != nil || p.adv.row >= rows[0] || p.partner.row >= rows[1] {
					bad = cmp.Or(bad, fmt.Errorf("%w: join file %s links rows beyond the sets", errCorrupt, key))
					return
				}
				l.offer(round, p)
			})
			if err = cmp.Or(err, bad); err != nil {
				return tally{}, err
			}
		}
	}
	return l.t, nil
}

// joinUnderWay reports whether a job of one of kinds is queued for the
// session, claimed or not.
func (s *Service) joinUnderWay(ctx context.Context, id string, kinds ...store.JobKind) (bool, error) {
	var found bool
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		jobs, err := tx.Jobs(ctx)
		found = slices.ContainsFunc(jobs, func(j store.Job) bool { return j.Session == id && slices.Contains(kinds, j.Kind) })
		return err
	})
	if err != nil {
		return false, fmt.Errorf("session: jobs: %w", err)
	}
	return found, nil
}

// routeSide writes owner's join entries into shards on scratch disk
// (route) and returns them. The other
// side's re-blinded upload holds owner's identifiers in the order it
// received them: relay position j carries the identifier that the relay
// to it put at j. So owner's identifiers are scattered by that relay's
// order (scatterByRelay), each with its key and row, read back in relay
// order (relayStream, one relay bucket in memory at a time) and zipped
// with the re-blinded digests.
func (s *Service) routeSide(in *joinInput, owner api.Role, route router) (*spill.Buckets, error) {
	attrs, eval, err := sideEvaluator(in.sess, owner)
	if err != nil {
		return nil, err
	}
	reblinder := otherSide(owner)
	order, err := s.relayOrder(in.sess, reblinder, in.buckets[reblinder])
	if err != nil {
		return nil, err
	}
	identifiers, err := s.scatterByRelay(in.sp.blinded[owner], attrs, eval, order, identifierSize,
		func(dst []byte, r countingRecord, e int) {
			putIdentifier(dst, nthKey(r.keys, e), joinRow{row: r.row, index: r.index, bits: r.bits, keys: r.keys})
		})
	if err != nil {
		return nil, err
	}
	defer identifiers.Remove()
	// One buffer of the largest relay bucket, allocated once.
	stream := &relayStream{spilled: identifiers, order: order, size: identifierSize, data: make([]byte, 0, identifiers.Largest()*identifierSize)}
	w, err := spill.Create(s.scratchDir, route.buckets, joinEntrySize, s.spillBuffers())
	if err != nil {
		return nil, fmt.Errorf("session: join scratch: %w", err)
	}
	n := identifiers.Total()
	var seen uint64
	var streamErr error
	rec := make([]byte, joinEntrySize)
	for _, p := range in.sp.reblinded[reblinder] {
		if p.First != seen {
			w.Abandon()
			return nil, fmt.Errorf("%w: re-blinded part %d starts at %d, after %d records", errCorrupt, p.Index, p.First, seen)
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
			return nil, err
		}
	}
	if seen != n {
		w.Abandon()
		return nil, fmt.Errorf("%w: re-blinded set of %d records for %d relayed", errCorrupt, seen, n)
	}
	routed, err := w.Finish()
	if err != nil {
		return nil, fmt.Errorf("session: join scratch: %w", err)
	}
	return routed, nil
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
