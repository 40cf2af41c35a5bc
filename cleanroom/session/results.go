package session

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// Results returns what the policy releases to the calling party. Results
// are readable once computed and stay readable after the session is purged:
// they hold only released aggregates (and, for the media partner, indexes
// of its own rows), while purging deletes the blinded data they came from.
func (s *Service) Results(ctx context.Context, p Principal, id string) (api.Results, error) {
	out, pending, err := s.results(ctx, p, id)
	if !pending {
		return out, err
	}
	if err := s.compute(ctx, id); err != nil {
		return api.Results{}, err
	}
	out, _, err = s.results(ctx, p, id)
	return out, err
}

// results reads the caller's stored view, or says that the session waits
// for its join.
func (s *Service) results(ctx context.Context, p Principal, id string) (out api.Results, pending bool, err error) {
	err = s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		sess, role, err := party(ctx, tx, p, id)
		if err != nil {
			return err
		}
		stored := sess.AdvertiserResult
		if role == api.RoleMediaPartner {
			stored = sess.PartnerResult
		}
		if stored == nil {
			if sess.State == api.StateExchanging {
				sp, err := loadParts(ctx, tx, id)
				if err != nil {
					return err
				}
				pending = sp.joinReady()
			}
			if !pending {
				return &StateError{State: sess.State, Want: "results exist once the session is computed"}
			}
			return nil
		}
		if err := json.Unmarshal(stored, &out); err != nil {
			return fmt.Errorf("session: stored results: %w", err)
		}
		return nil
	})
	return out, pending, err
}
