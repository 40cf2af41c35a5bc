package session

import (
	"context"
	"fmt"
	"runtime"
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
	actMask, err := pol.SegmentMask(sess.Segments)
	if err != nil {
		return fmt.Errorf("session: stored policy: %w", err)
	}
	rules := joinRules{rounds: len(pol.Keys(sess.MatchKey)), block: pol.Conflicts == policy.ConflictsBlock, segments: len(sess.Segments), actMask: actMask}
	// The join's shards are large flat slices that die together with it:
	// collecting at both ends of their life keeps the default GOGC from
	// stacking the relays' leftovers, a shard and the results on top of one
	// another (see docs/PERFORMANCE.md); a collection of a heap that holds
	// almost no pointers costs a few milliseconds.
	runtime.GC()
	t, shards, err := s.join(sess, sp, buckets, rules)
	if err != nil {
		return err
	}
	runtime.GC()
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
	advView, partnerView, err := release(rel)
	if err != nil {
		return err
	}
	// The views hold the activation list now. The tally's copy, 16 bytes
	// per activated row, would otherwise live until the log line below,
	// beside the two encodings of the views (about 30 bytes per row each):
	// at millions of rows that is the server's peak.
	activations := len(t.activations)
	t.activations, rel.tally.activations = nil, nil
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
		"activations", activations, "join_shards", shards, "dp", pol.DP != nil, "duration", time.Since(start))
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
