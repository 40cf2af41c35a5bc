package session

import (
	"context"
	"fmt"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// recover brings the blob store back in line with the store after a
// crash, then finishes interrupted joins.
//
// Part files are written under a temporary name, committed under their
// key, and only then recorded, so after a crash there can be temporary files, renamed files
// that were never recorded, and directories of sessions that ended before
// their files were deleted; all of them go. A session whose re-blinded sets
// are both complete but which has no results is joined again.
func (s *Service) recover(ctx context.Context) error {
	var sessions []store.Session
	recorded := map[string]bool{} // files referenced by the store, relative paths
	pending := []string{}
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if sessions, err = tx.Sessions(ctx, ""); err != nil {
			return err
		}
		for _, sess := range sessions {
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
			if sess.State == api.StateExchanging && sp.joinReady() {
				pending = append(pending, sess.ID)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("session: recover: %w", err)
	}
	if err := s.removeUnrecorded(ctx, partsDir+"/", recorded); err != nil {
		return fmt.Errorf("session: recover: %w", err)
	}
	for _, id := range pending {
		// A join that fails again is logged, not fatal: the service
		// serves the other sessions, and the next call retries it.
		if err := s.compute(ctx, id); err != nil {
			s.log.ErrorContext(ctx, "join at startup failed", "session", id, "error", err)
		}
	}
	return nil
}
