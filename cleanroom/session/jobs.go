package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// Handlers returns the service's background work by job kind, for the
// jobs runner (cleanroom/jobs) of every replica and worker. Each handler
// is idempotent: it re-checks the session in the transaction that
// records its work, so a job run twice (a lease taken over from a killed
// process) records it once.
func (s *Service) Handlers() map[store.JobKind]func(context.Context, store.Job) error {
	return map[store.JobKind]func(context.Context, store.Job) error{
		store.JobRelay:     s.relayJob,
		store.JobJoin:      func(ctx context.Context, j store.Job) error { return s.routeJoin(ctx, j.Session) },
		store.JobJoinShard: s.joinShardJob,
		store.JobJoinCombine: func(ctx context.Context, j store.Job) error {
			r, err := parseRouting(j.Arg)
			if err != nil {
				return err
			}
			return s.compute(ctx, j.Session, r)
		},
		store.JobRetention: func(ctx context.Context, _ store.Job) error { return s.Sweep(ctx) },
		store.JobBlobSweep: func(ctx context.Context, _ store.Job) error { return s.SweepBlobs(ctx) },
	}
}

// relayJob prepares the relay parts for the side named by the job. A
// session that has moved on (ended) needs none: the job is done.
func (s *Service) relayJob(ctx context.Context, j store.Job) error {
	recipient := api.Role(j.Arg)
	if recipient != api.RoleAdvertiser && recipient != api.RoleMediaPartner {
		return fmt.Errorf("session: relay job for %q: not a party side", j.Arg)
	}
	_, err := s.relay(ctx, j.Session, recipient)
	if _, ended := errors.AsType[*StateError](err); ended {
		return nil
	}
	return err
}

// nextStep makes due what follows the completion of both parties' sets of
// leg, in the transaction that records the completing part: both blinded
// sets move the session to exchanging and queue the relay of each side;
// both re-blinded sets queue the join.
func (s *Service) nextStep(ctx context.Context, tx store.Tx, sess *store.Session, leg store.Leg) error {
	if leg == store.LegReblinded {
		return s.enqueue(ctx, tx, store.JobJoin, sess.ID, "")
	}
	if err := moveTo(sess, api.StateExchanging); err != nil {
		return err
	}
	for _, recipient := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
		if err := s.enqueue(ctx, tx, store.JobRelay, sess.ID, string(recipient)); err != nil {
			return err
		}
	}
	return nil
}

// enqueue queues a job of a session, due now (a no-op if it is queued).
func (s *Service) enqueue(ctx context.Context, tx store.Tx, kind store.JobKind, id, arg string) error {
	now := s.now()
	if _, err := tx.EnqueueJob(ctx, store.Job{Kind: kind, Session: id, Arg: arg, Due: now, Created: now}); err != nil {
		return fmt.Errorf("session: enqueue %s: %w", kind, err)
	}
	return nil
}

// relayed returns the relay parts prepared for recipient, waiting up to
// Config.RelayWait for the relay job: the counterpart set is due the
// moment the session is exchanging, and a party asks for it at once.
func (s *Service) relayed(ctx context.Context, id string, recipient api.Role) ([]store.Part, error) {
	deadline := time.Now().Add(s.relayWait)
	pause := 20 * time.Millisecond
	for {
		var state api.State
		var parts []store.Part
		err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
			sess, err := tx.Session(ctx, id)
			if err != nil {
				return err
			}
			state = sess.State
			parts, err = tx.Parts(ctx, id, recipient, store.LegRelay)
			return err
		})
		switch {
		case err != nil:
			return nil, fmt.Errorf("session: relay: %w", err)
		case len(parts) > 0:
			return parts, nil
		case state != api.StateExchanging:
			return nil, &StateError{State: state, Want: "the counterpart set is available while the session is exchanging"}
		case !time.Now().Before(deadline):
			return nil, fmt.Errorf("%w: the counterpart set of session %s is being prepared", ErrNotReady, id)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(pause, time.Until(deadline))):
		}
		pause = min(2*pause, 500*time.Millisecond)
	}
}

// reconcile queues the work that sessions already wait for: the relays of
// exchanging sessions and the joins of sessions whose re-blinded sets are
// complete. The transactions that make work due queue it themselves; this
// covers a store written before the jobs table existed. Every replica
// runs it at start; enqueueing twice queues once.
func (s *Service) reconcile(ctx context.Context) error {
	type due struct {
		kind    store.JobKind
		id, arg string
	}
	var work []due
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		work = work[:0] // the store may run this again
		sessions, err := tx.Sessions(ctx, "")
		if err != nil {
			return err
		}
		for _, sess := range sessions {
			if sess.State != api.StateExchanging {
				continue
			}
			sp, err := loadParts(ctx, tx, sess.ID)
			if err != nil {
				return err
			}
			for _, side := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
				if len(sp.relay[side]) == 0 {
					work = append(work, due{store.JobRelay, sess.ID, string(side)})
				}
			}
			if sp.joinReady() {
				work = append(work, due{store.JobJoin, sess.ID, ""})
			}
		}
		return nil
	})
	if err != nil || len(work) == 0 {
		return err
	}
	err = s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, w := range work {
			if err := s.enqueue(ctx, tx, w.kind, w.id, w.arg); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.notify()
	}
	return err
}

// SweepBlobs deletes part and results objects that no store row names.
//
// Part objects: those of ended sessions at once (a crash between the
// state change and the deletion), and those of live sessions that were
// never recorded (a crash between commit and record, an upload cut off, a
// refused part, the files of a join routed twice) once they are older
// than Config.BlobGrace. The grace keeps it off the uploads in flight on
// other replicas, which are unrecorded until they commit. A join's files,
// which no row names either, are spared for as long as a job of the
// session's join is queued: a join of 10^9 identifiers runs for longer
// than any grace.
//
// Results objects (results/<session>/) outlive the session's purge as
// long as its row names them. One that no row names was written by a
// combine job whose transaction failed or found the session moved on:
// garbage at once if the session is no longer exchanging (its results are
// recorded for good, or will never be), after the grace if it is (a
// combine job may be about to record it).
//
// The listing comes before the read of the store: an object recorded in
// between is then known as recorded, and one recorded later was still
// being written or waiting for its record when listed, which the grace
// covers as long as it outlasts the longest upload or relay (the reason
// for its floor in blindjoind).
func (s *Service) SweepBlobs(ctx context.Context) error {
	parts, err := s.blobs.List(ctx, partsDir+"/")
	if err != nil {
		return fmt.Errorf("session: blob sweep: %w", err)
	}
	results, err := s.blobs.List(ctx, resultsDir+"/")
	if err != nil {
		return fmt.Errorf("session: blob sweep: %w", err)
	}
	recorded := map[string]bool{}
	states := map[string]api.State{}
	joining := map[string]bool{} // sessions with a job of their join queued
	err = s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		clear(recorded)
		clear(states)
		clear(joining)
		jobs, err := tx.Jobs(ctx)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if j.Kind == store.JobJoin || j.Kind == store.JobJoinShard || j.Kind == store.JobJoinCombine {
				joining[j.Session] = true
			}
		}
		sessions, err := tx.Sessions(ctx, "")
		if err != nil {
			return err
		}
		for _, sess := range sessions {
			states[sess.ID] = sess.State
			if final(sess.State) {
				continue
			}
			sp, err := loadParts(ctx, tx, sess.ID)
			if err != nil {
				return err
			}
			for _, legs := range []map[api.Role][]store.Part{sp.blinded, sp.reblinded, sp.relay} {
				for _, parts := range legs {
					for _, p := range parts {
						recorded[p.File] = true
					}
				}
			}
		}
		keys, err := tx.ResultBlobs(ctx)
		for _, k := range keys {
			recorded[k] = true
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("session: blob sweep: %w", err)
	}
	now := s.now()
	var errs []error
	deleted := 0
	for _, o := range append(parts, results...) {
		if recorded[o.Key] {
			continue
		}
		id := keySession(o.Key)
		state, known := states[id]
		// The join's files, and the results objects its combine job
		// writes before it records them, are kept while a job of the
		// join is queued: a join of 10^9 identifiers outlasts any grace.
		young := now.Sub(o.Modified) < s.blobGrace
		if strings.HasPrefix(o.Key, resultsDir+"/") {
			if !(known && state != api.StateExchanging) && (young || joining[id]) {
				continue
			}
		} else if !(known && final(state)) && (young || joining[id] && isJoinFile(o.Key)) {
			continue
		}
		if err := s.blobs.Delete(ctx, o.Key); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted++
	}
	if deleted > 0 {
		s.log.InfoContext(ctx, "unreferenced part and results objects deleted", "objects", deleted)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("session: blob sweep: %w", err)
	}
	return nil
}

// keySession is the session id in the key of a part or results object
// (parts/<session>/<name>, results/<session>/<name>), "" for any other
// key.
func keySession(key string) string {
	dir, rest, _ := strings.Cut(key, "/")
	if dir != partsDir && dir != resultsDir {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// deleteResults deletes results objects that no row names, as far as it
// can: what it fails to delete is left to the blob sweep.
func (s *Service) deleteResults(ctx context.Context, id string, results ...store.Result) {
	for _, r := range results {
		if r.Blob == "" {
			continue
		}
		if err := s.blobs.Delete(ctx, r.Blob); err != nil {
			s.log.WarnContext(ctx, "unrecorded results object left for the blob sweep", "session", id, "error", err)
		}
	}
}
