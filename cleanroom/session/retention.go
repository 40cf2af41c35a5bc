package session

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// Reasons recorded in purged and expired events.
const (
	reasonDeleted   = "deleted"
	reasonRetention = "retention"
	reasonStalled   = "no_progress"
)

// Delete purges a session at the request of one of its parties: every part
// file is deleted now and the session becomes purged. Results already
// computed stay readable. A session deleted before its results were
// computed released nothing, so its privacy-budget reservation is given
// back.
func (s *Service) Delete(ctx context.Context, p Principal, id string) (api.Session, error) {
	var out api.Session
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		_, _, err := party(ctx, tx, p, id)
		return err
	})
	if err != nil {
		return out, err
	}
	err = s.end(ctx, id, p.Party, api.StatePurged, reasonDeleted, func(sess store.Session) error {
		if final(sess.State) {
			return &StateError{State: sess.State, Want: "the session has already ended"}
		}
		return nil
	}, func(ctx context.Context, tx store.Tx, sess store.Session) error {
		v, err := view(ctx, tx, sess)
		out = v
		return err
	})
	return out, err
}

// Sweep applies retention: it purges computed sessions whose purge_after
// has passed, and expires sessions that have made no progress (no state
// change and no part) for Config.ExpireAfter. Both delete the session's
// part files and record an event. The binary runs it periodically; it is
// safe to run concurrently with requests.
func (s *Service) Sweep(ctx context.Context) error {
	var all []store.Session
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		all, err = tx.Sessions(ctx, "")
		return err
	})
	if err != nil {
		return fmt.Errorf("session: sweep: %w", err)
	}
	var errs []error
	for _, sess := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.retentionDue(sess) {
			errs = append(errs, s.end(ctx, sess.ID, serverActor, api.StatePurged, reasonRetention, s.unless(s.retentionDue), nil))
		} else if s.stalled(sess) {
			errs = append(errs, s.end(ctx, sess.ID, serverActor, api.StateExpired, reasonStalled, s.unless(s.stalled), nil))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) retentionDue(sess store.Session) bool {
	return sess.State == api.StateComputed && !sess.PurgeAfter.IsZero() && !s.now().Before(sess.PurgeAfter)
}

func (s *Service) stalled(sess store.Session) bool {
	return !final(sess.State) && sess.State != api.StateComputed && s.now().Sub(sess.Updated) >= s.expireAfter
}

// errSkip makes end leave a session alone without reporting an error.
var errSkip = errors.New("session: skip")

// unless turns a condition into a check for end: a session that no longer
// meets it (a part arrived since the sweep listed it) is skipped.
func (s *Service) unless(cond func(store.Session) bool) func(store.Session) error {
	return func(sess store.Session) error {
		if !cond(sess) {
			return errSkip
		}
		return nil
	}
}

// end moves a session to a final state and deletes its files. check runs
// on the current row inside the transaction; then (optional) runs on the
// updated row in the same transaction. The state change commits before the
// files go: a crash in between leaves files that New deletes, never a
// session that claims data it lost. It holds the session lock, so no relay
// or join route or combine of the session runs meanwhile in this process;
// a job elsewhere, or a join's shard job, re-checks the state before it
// records anything, and the files it writes after the deletion go with
// the blob sweep.
func (s *Service) end(ctx context.Context, id, actor string, state api.State, reason string,
	check func(store.Session) error, then func(context.Context, store.Tx, store.Session) error) error {
	unlock := s.locks.lock(id)
	defer unlock()
	var refunded bool
	err := s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		sess, err := tx.Session(ctx, id)
		if err != nil {
			return fmt.Errorf("session: end: %w", err)
		}
		if err := check(sess); err != nil {
			return err
		}
		// Without results nothing was released, so the reservation
		// goes back to the pair.
		pol, err := policy.Parse(sess.Policy)
		if err != nil {
			return fmt.Errorf("session: stored policy: %w", err)
		}
		refunded = pol.DP != nil && sess.ComputedAt.IsZero()
		if refunded {
			if err := tx.DeleteSpend(ctx, id); err != nil {
				return fmt.Errorf("session: end: %w", err)
			}
		}
		if err := moveTo(&sess, state); err != nil {
			return err
		}
		sess.Updated = s.now()
		if err := tx.UpdateSession(ctx, sess); err != nil {
			return fmt.Errorf("session: end: %w", err)
		}
		typ := transcript.TypePurged
		if state == api.StateExpired {
			typ = transcript.TypeExpired
		}
		data := map[string]string{keyReason: reason}
		if refunded {
			data[keyRefunded] = strconv.FormatFloat(pol.DP.Epsilon, 'g', -1, 64)
		}
		if err := s.record(ctx, tx, id, actor, typ, data); err != nil {
			return err
		}
		if then != nil {
			return then(ctx, tx, sess)
		}
		return nil
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "session ended", "session", id, "state", state, "reason", reason, "dp_refunded", refunded)
	return s.removeFiles(ctx, id)
}
