package session

import (
	"context"
	"fmt"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// setStatus summarizes one set of parts (sorted by index): whether parts
// 0..f are all present with part f final, and the record totals.
type setStatus struct {
	parts    int
	records  uint64
	counting uint64
	complete bool
}

func statusOf(parts []store.Part) setStatus {
	st := setStatus{parts: len(parts)}
	for i, p := range parts {
		st.records += p.Records
		st.counting += p.Counting
		if p.Final && int(p.Index) == i && i == len(parts)-1 {
			// Commit rules keep indexes unique and no part beyond
			// the final one, so index f at position f means 0..f.
			st.complete = true
		}
	}
	return st
}

// sideProgress reads one party's upload progress.
func sideProgress(ctx context.Context, tx store.Tx, id string, side api.Role) (api.SideProgress, error) {
	blinded, err := tx.Parts(ctx, id, side, store.LegBlinded)
	if err != nil {
		return api.SideProgress{}, err
	}
	reblinded, err := tx.Parts(ctx, id, side, store.LegReblinded)
	if err != nil {
		return api.SideProgress{}, err
	}
	b, r := statusOf(blinded), statusOf(reblinded)
	return api.SideProgress{
		BlindedParts: b.parts, BlindedRecords: b.records, BlindedComplete: b.complete,
		ReblindedParts: r.parts, ReblindedRecords: r.records, ReblindedComplete: r.complete,
	}, nil
}

// view builds what members see of a session.
func view(ctx context.Context, tx store.Tx, sess store.Session) (api.Session, error) {
	adv, err := sideProgress(ctx, tx, sess.ID, api.RoleAdvertiser)
	if err != nil {
		return api.Session{}, fmt.Errorf("session: progress: %w", err)
	}
	partner, err := sideProgress(ctx, tx, sess.ID, api.RoleMediaPartner)
	if err != nil {
		return api.Session{}, fmt.Errorf("session: progress: %w", err)
	}
	out := api.Session{
		ID:         sess.ID,
		State:      sess.State,
		Advertiser: sess.Advertiser,
		Partner:    sess.Partner,
		MatchKey:   sess.MatchKey,
		MatchKeys:  matchKeys(sess),
		Policy:     append([]byte(nil), sess.Policy...),
		PolicyHash: sess.PolicyHash,
		Segments:   append([]string{}, sess.Segments...),
		Auditors:   append([]string{}, sess.Auditors...),
		CreatedAt:  sess.Created,
		UpdatedAt:  sess.Updated,
		Uploads:    api.Uploads{Advertiser: adv, MediaPartner: partner},
	}
	if !sess.PurgeAfter.IsZero() {
		t := sess.PurgeAfter
		out.PurgeAfter = &t
	}
	return out, nil
}

// Get returns a session to one of its members, auditors included.
func (s *Service) Get(ctx context.Context, p Principal, id string) (api.Session, error) {
	var out api.Session
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		sess, _, err := member(ctx, tx, p, id)
		if err != nil {
			return err
		}
		out, err = view(ctx, tx, sess)
		return err
	})
	return out, err
}

// List returns the sessions the caller is a member of, oldest first.
func (s *Service) List(ctx context.Context, p Principal) ([]api.Session, error) {
	out := []api.Session{}
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		list, err := tx.Sessions(ctx, p.Party)
		if err != nil {
			return fmt.Errorf("session: list: %w", err)
		}
		for _, sess := range list {
			if memberRole(sess, p) == "" {
				continue
			}
			v, err := view(ctx, tx, sess)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// matchKeys is the session's match keys in priority order. The stored
// policy passed Parse when the session was created; were it unreadable now,
// the session's one key is still the truth for a one-key session, and
// every later step re-parses the policy and fails loudly.
func matchKeys(sess store.Session) []string {
	pol, err := policy.Parse(sess.Policy)
	if err != nil {
		return []string{sess.MatchKey}
	}
	return pol.Keys(sess.MatchKey)
}
