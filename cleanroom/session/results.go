package session

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
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
// for its join. The view is decoded after the read transaction ends: at a
// million activation records that takes longer than the read itself.
func (s *Service) results(ctx context.Context, p Principal, id string) (out api.Results, pending bool, err error) {
	var stored []byte
	err = s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		sess, role, err := party(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if stored, err = tx.Result(ctx, id, role); err != nil {
			return fmt.Errorf("session: stored results: %w", err)
		}
		if stored != nil {
			return nil
		}
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
	})
	if err != nil || pending {
		return out, pending, err
	}
	if err := json.Unmarshal(stored, &out); err != nil {
		return out, false, fmt.Errorf("session: stored results: %w", err)
	}
	return out, false, nil
}

// commitResults binds one party's results into the transcript without
// disclosing them: it draws a fresh nonce, commits to the results with it
// (transcript.CommitResult) and returns the results to store, nonce
// included, with the commitment to record. The nonce reaches only the
// results' owner, with its results; an unsalted digest would let the media
// partner, who knows every field of the advertiser's results but the
// segment counts, find those counts by enumeration.
func (s *Service) commitResults(r api.Results) (stored []byte, commitment string, err error) {
	nonce := make([]byte, transcript.ResultNonceSize)
	if err := s.readRand(nonce); err != nil {
		return nil, "", err
	}
	committed, err := r.CommittedJSON()
	if err != nil {
		return nil, "", fmt.Errorf("session: encode results: %w", err)
	}
	if commitment, err = transcript.CommitResult(r.SessionID, string(r.Role), nonce, committed); err != nil {
		return nil, "", fmt.Errorf("session: commit results: %w", err)
	}
	r.ResultNonce = hex.EncodeToString(nonce)
	if stored, err = json.Marshal(r); err != nil {
		return nil, "", fmt.Errorf("session: encode results: %w", err)
	}
	return stored, commitment, nil
}
