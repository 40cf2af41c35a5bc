package session

import (
	"context"
	"fmt"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
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
	pub, err := sideProgress(ctx, tx, sess.ID, api.RoleMediaPartner)
	if err != nil {
		return api.Session{}, fmt.Errorf("session: progress: %w", err)
	}
	out := api.Session{
		ID:         sess.ID,
		State:      sess.State,
		Advertiser: sess.Advertiser,
		Partner:    sess.Partner,
		MatchKey:   sess.MatchKey,
		Policy:     append([]byte(nil), sess.Policy...),
		PolicyHash: sess.PolicyHash,
		Segments:   append([]string{}, sess.Segments...),
		Auditors:   append([]string{}, sess.Auditors...),
		CreatedAt:  sess.Created,
		UpdatedAt:  sess.Updated,
		Uploads:    api.Uploads{Advertiser: adv, MediaPartner: pub},
	}
	if !sess.PurgeAfter.IsZero() {
		t := sess.PurgeAfter
		out.PurgeAfter = &t
	}
	return out, nil
}
