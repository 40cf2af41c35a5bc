package session

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/dp"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/shuffle"
	"github.com/blindjoin/blindjoin/protocol/transcript"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// sessionParts is every part file of a session, by side and leg.
type sessionParts struct {
	blinded, reblinded, relay map[api.Role][]store.Part // keyed by side
}

func loadParts(ctx context.Context, tx store.Tx, id string) (sessionParts, error) {
	sp := sessionParts{blinded: map[api.Role][]store.Part{}, reblinded: map[api.Role][]store.Part{}, relay: map[api.Role][]store.Part{}}
	for _, side := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
		for leg, m := range map[store.Leg]map[api.Role][]store.Part{
			store.LegBlinded: sp.blinded, store.LegReblinded: sp.reblinded, store.LegRelay: sp.relay,
		} {
			parts, err := tx.Parts(ctx, id, side, leg)
			if err != nil {
				return sp, fmt.Errorf("session: parts: %w", err)
			}
			m[side] = parts
		}
	}
	return sp, nil
}

// joinReady reports whether both re-blinded sets are complete.
func (sp sessionParts) joinReady() bool {
	return statusOf(sp.reblinded[api.RoleAdvertiser]).complete && statusOf(sp.reblinded[api.RoleMediaPartner]).complete
}

// compute joins a session whose re-blinded sets are both complete and
// stores both parties' results with the state change to computed, in one
// transaction: a failure or a crash before that commit leaves the session
// exchanging with nothing released, and the join job runs it again. The noise is a function of the uploads, so a
// second run releases the same numbers. A session in any other state, or
// not ready, is left alone.
func (s *Service) compute(ctx context.Context, id string) error {
	unlock := s.locks.lock(id)
	defer unlock()
	var sess store.Session
	var sp sessionParts
	buckets := map[api.Role]int{} // by relay recipient
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if sess, err = tx.Session(ctx, id); err != nil {
			return fmt.Errorf("session: compute: %w", err)
		}
		if sp, err = loadParts(ctx, tx, id); err != nil || !sp.joinReady() {
			return err
		}
		for _, recipient := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
			if buckets[recipient], err = relayBuckets(ctx, tx, id, recipient); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || sess.State != api.StateExchanging || !sp.joinReady() {
		return err
	}
	start := time.Now()
	pol, err := policy.Parse(sess.Policy)
	if err != nil {
		return fmt.Errorf("session: stored policy: %w", err)
	}
	// The join's inputs are flat slices of 30 to 40 bytes per record and
	// side that all die together once the tally is made. Collecting at
	// both ends of their life keeps the heap from stacking the relays'
	// leftovers, the inputs and the results on top of one another, which
	// the default GOGC would let grow to twice the inputs and more (see
	// docs/PERFORMANCE.md); two collections of a heap that holds almost no
	// pointers cost a few milliseconds.
	runtime.GC()
	in, err := s.joinInputs(sess, sp, buckets)
	if err != nil {
		return err
	}
	actMask, err := pol.SegmentMask(sess.Segments)
	if err != nil {
		return fmt.Errorf("session: stored policy: %w", err)
	}
	rules := joinRules{rounds: len(pol.Keys(sess.MatchKey)), block: pol.Conflicts == policy.ConflictsBlock, segments: len(sess.Segments), actMask: actMask}
	t := join(in[api.RoleAdvertiser], in[api.RoleMediaPartner], rules)
	computedAt := s.now()
	rel := releaseInput{
		id: id, pol: pol, segments: sess.Segments, keys: pol.Keys(sess.MatchKey), tally: t, computedAt: computedAt,
		advRows: int64(in[api.RoleAdvertiser].set.rows), partnerRows: int64(in[api.RoleMediaPartner].set.rows),
	}
	runtime.GC() // the inputs are dead: only the tally is used from here on
	if pol.DP != nil {
		if rel.noise, err = dp.NewSource(s.noiseSeed(id, sp)); err != nil {
			return fmt.Errorf("session: noise: %w", err)
		}
	}
	advView, partnerView, err := release(rel)
	if err != nil {
		return err
	}
	advJSON, advCommitment, err := s.commitResults(advView)
	if err != nil {
		return err
	}
	partnerJSON, partnerCommitment, err := s.commitResults(partnerView)
	if err != nil {
		return err
	}
	err = s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.Session(ctx, id)
		if err != nil {
			return fmt.Errorf("session: compute: %w", err)
		}
		if cur.State != api.StateExchanging {
			return nil // purged meanwhile: release nothing
		}
		if err := moveTo(&cur, api.StateComputed); err != nil {
			return err
		}
		cur.Updated, cur.ComputedAt = computedAt, computedAt
		cur.PurgeAfter = computedAt.Add(time.Duration(pol.RetentionDays) * 24 * time.Hour)
		if err := tx.UpdateSession(ctx, cur); err != nil {
			return fmt.Errorf("session: compute: %w", err)
		}
		if err := tx.SetResults(ctx, id, advJSON, partnerJSON); err != nil {
			return fmt.Errorf("session: compute: %w", err)
		}
		return s.record(ctx, tx, id, serverActor, transcript.TypeComputed, map[string]string{
			transcript.ResultCommitmentKey(string(api.RoleAdvertiser)):   advCommitment,
			transcript.ResultCommitmentKey(string(api.RoleMediaPartner)): partnerCommitment,
		})
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "session computed", "session", id,
		"advertiser_rows", rel.advRows, "partner_rows", rel.partnerRows, "overlap", t.overlap,
		"activations", len(t.activations), "dp", pol.DP != nil, "duration", time.Since(start))
	return nil
}

// joinInputs builds both sides' join entries, one side per goroutine:
// each reads and checks its own files, so the two run on two cores.
func (s *Service) joinInputs(sess store.Session, sp sessionParts, buckets map[api.Role]int) (map[api.Role]joinInput, error) {
	owners := []api.Role{api.RoleAdvertiser, api.RoleMediaPartner}
	inputs := make([]joinInput, len(owners))
	errs := make([]error, len(owners))
	var wg sync.WaitGroup
	for i, owner := range owners {
		wg.Go(func() { inputs[i], errs[i] = s.joinInput(sess, sp, buckets, owner) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return map[api.Role]joinInput{owners[0]: inputs[0], owners[1]: inputs[1]}, nil
}

// joinInput builds the join entries of owner's records. The other side's
// re-blinded upload holds owner's elements in the order it received them,
// so relay position j of that upload stands for counting record perm[j] of
// owner, perm being the permutation relayed to the other side.
func (s *Service) joinInput(sess store.Session, sp sessionParts, buckets map[api.Role]int, owner api.Role) (joinInput, error) {
	attrs, eval, err := sideEvaluator(sess, owner)
	if err != nil {
		return joinInput{}, err
	}
	set, err := s.loadSet(sp.blinded[owner], attrs, eval, setFields{bits: true, index: owner == api.RoleMediaPartner})
	if err != nil {
		return joinInput{}, err
	}
	reblinder := otherSide(owner)
	order, err := s.relayOrder(sess, reblinder, buckets[reblinder])
	if err != nil {
		return joinInput{}, err
	}
	perm, err := relayPermutation(order, set.n)
	if err != nil {
		return joinInput{}, err
	}
	entries := make([]joinEntry, 0, set.n)
	for _, p := range sp.reblinded[reblinder] {
		err := s.readPart(p, wire.KindJoin, func(i uint64, rec []byte) {
			if j := p.First + i; j < uint64(len(perm)) {
				entries = append(entries, joinEntry{digest: [16]byte(rec), pos: perm[j]})
			}
		})
		if err != nil {
			return joinInput{}, err
		}
	}
	if len(entries) != set.n {
		return joinInput{}, fmt.Errorf("%w: re-blinded set of %d records for %d relayed", errCorrupt, len(entries), set.n)
	}
	return joinInput{entries: entries, set: set, eval: eval}, nil
}

// noiseSeed binds the noise to the server secret, the session and every
// part both parties uploaded (dp.DeriveSeed), in a fixed order.
func (s *Service) noiseSeed(id string, sp sessionParts) []byte {
	inputs := [][]byte{[]byte(id)}
	for _, set := range []map[api.Role][]store.Part{sp.blinded, sp.reblinded} {
		for _, side := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
			for _, p := range set[side] {
				inputs = append(inputs, p.Digest)
			}
		}
	}
	return dp.DeriveSeed(s.secret, inputs...)
}

// relayPermutation is the whole of order over n identifiers, in memory:
// relay position j carries identifier perm[j].
func relayPermutation(order *shuffle.Bucketed, n int) ([]uint32, error) {
	members := make([][]uint32, order.Buckets())
	labels := order.Labels()
	for i := range n {
		k := labels.Next()
		members[k] = append(members[k], uint32(i))
	}
	perm := make([]uint32, 0, n)
	for k, m := range members {
		o, err := order.Order(k, len(m))
		if err != nil {
			return nil, fmt.Errorf("session: relay order: %w", err)
		}
		for _, j := range o {
			perm = append(perm, m[j])
		}
	}
	return perm, nil
}
