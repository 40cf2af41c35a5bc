package session

import (
	"context"
	"fmt"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/dp"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
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

// joinInput is what the join's route and combine jobs read of a session.
type joinInput struct {
	sess    store.Session
	sp      sessionParts
	buckets map[api.Role]int // relay buckets, by recipient
}

// loadJoin reads a session that is ready to join: exchanging, with both
// re-blinded sets complete. It returns nil for a session in any other
// state, or not ready.
func (s *Service) loadJoin(ctx context.Context, id string) (*joinInput, error) {
	in := &joinInput{buckets: map[api.Role]int{}}
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if in.sess, err = tx.Session(ctx, id); err != nil {
			return fmt.Errorf("session: join: %w", err)
		}
		if in.sp, err = loadParts(ctx, tx, id); err != nil || !in.sp.joinReady() {
			return err
		}
		for _, recipient := range joinSides {
			if in.buckets[recipient], err = relayBuckets(ctx, tx, id, recipient); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || in.sess.State != api.StateExchanging || !in.sp.joinReady() {
		return nil, err
	}
	return in, nil
}

// compute is the join's combine job (see routeJoin): it links the
// candidates of every shard of routing r, writes both parties' results to
// the blob store and records them with the state change to computed, in
// one transaction: a failure or a crash before that commit leaves the
// session exchanging with nothing released, and the job runs again. The
// noise is a function of the uploads, so a second run releases the same
// numbers. A session in any other state, or not ready, is left alone; the
// routing's files are deleted once they are of no more use.
//
// Nothing of it grows with the overlap in memory: the activation goes
// through scratch disk (activationSpill) and the results are encoded as
// they are written (storeResults).
func (s *Service) compute(ctx context.Context, id string, r routing) error {
	unlock := s.locks.lock(id)
	defer unlock()
	in, err := s.loadJoin(ctx, id)
	if err != nil {
		return err
	}
	if in == nil {
		s.removeRouting(ctx, id, r)
		return nil
	}
	sess, sp := in.sess, in.sp
	start := time.Now()
	pol, err := policy.Parse(sess.Policy)
	if err != nil {
		return fmt.Errorf("session: stored policy: %w", err)
	}
	actMask, err := pol.SegmentMask(sess.Segments)
	if err != nil {
		return fmt.Errorf("session: stored policy: %w", err)
	}
	rules := joinRules{rounds: len(pol.Keys(sess.MatchKey)), block: pol.Conflicts == policy.ConflictsBlock, segments: len(sess.Segments), actMask: actMask}
	spilled, err := s.newActivationSpill(statusOf(sp.blinded[api.RoleMediaPartner]).records)
	if err != nil {
		return err
	}
	rules.activate = spilled.add
	t, err := s.link(ctx, in, r, rules)
	if err != nil {
		spilled.abandon()
		return err
	}
	activated, err := spilled.finish()
	if err != nil {
		return err
	}
	defer activated.Remove()
	computedAt := s.now()
	rel := releaseInput{
		id: id, pol: pol, segments: sess.Segments, keys: pol.Keys(sess.MatchKey), tally: t, computedAt: computedAt,
		advRows:     int64(statusOf(sp.blinded[api.RoleAdvertiser]).counting),
		partnerRows: int64(statusOf(sp.blinded[api.RoleMediaPartner]).counting),
	}
	if pol.DP != nil {
		if rel.noise, err = dp.NewSource(s.noiseSeed(id, sp)); err != nil {
			return fmt.Errorf("session: noise: %w", err)
		}
	}
	advView, partnerView, act, err := release(rel)
	if err != nil {
		return err
	}
	released, err := s.sortActivations(activated, act.mask)
	if err != nil {
		return err
	}
	defer released.Remove()
	advResult, advCommitment, err := s.storeResults(ctx, advView, nil)
	if err != nil {
		return err
	}
	partnerResult, partnerCommitment, err := s.storeResults(ctx, partnerView, activationRecords(released, act))
	if err != nil {
		s.deleteResults(ctx, id, advResult)
		return err
	}
	var recorded bool
	err = s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		recorded = false // the store may run this again
		cur, err := tx.Session(ctx, id)
		if err != nil {
			return fmt.Errorf("session: compute: %w", err)
		}
		if cur.State != api.StateExchanging {
			return nil // purged, or computed by another runner, meanwhile: release nothing
		}
		if err := moveTo(&cur, api.StateComputed); err != nil {
			return err
		}
		cur.Updated, cur.ComputedAt = computedAt, computedAt
		cur.PurgeAfter = computedAt.Add(time.Duration(pol.RetentionDays) * 24 * time.Hour)
		if err := tx.UpdateSession(ctx, cur); err != nil {
			return fmt.Errorf("session: compute: %w", err)
		}
		if err := tx.SetResults(ctx, id, advResult, partnerResult); err != nil {
			return fmt.Errorf("session: compute: %w", err)
		}
		recorded = true
		return s.record(ctx, tx, id, serverActor, transcript.TypeComputed, map[string]string{
			transcript.ResultCommitmentKey(string(api.RoleAdvertiser)):   advCommitment,
			transcript.ResultCommitmentKey(string(api.RoleMediaPartner)): partnerCommitment,
		})
	})
	if err != nil {
		// The commit may have happened all the same (a connection lost
		// during it): the results objects are left to the blob sweep,
		// which checks whether a row names them.
		return err
	}
	s.removeRouting(ctx, id, r)
	if !recorded {
		s.deleteResults(ctx, id, advResult, partnerResult) // named by no row
		return nil
	}
	s.log.InfoContext(ctx, "session computed", "session", id,
		"advertiser_rows", rel.advRows, "partner_rows", rel.partnerRows, "overlap", t.overlap,
		"activations", spilled.count, "join_shards", r.shards, "dp", pol.DP != nil, "duration", time.Since(start))
	return nil
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
