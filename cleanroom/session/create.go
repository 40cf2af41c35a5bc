package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/dp"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// maxAuditors bounds the auditors a session may name.
const maxAuditors = 16

// relaySeedSize is the length of a session's relay seed.
const relaySeedSize = 32

// Create opens a session proposed by an advertiser.
func (s *Service) Create(ctx context.Context, p Principal, req api.CreateSessionRequest) (api.Session, error) {
	if p.Role != api.RoleAdvertiser {
		return api.Session{}, fmt.Errorf("%w: only advertisers create sessions", ErrForbidden)
	}
	pol, err := s.checkRequest(req)
	if err != nil {
		return api.Session{}, err
	}
	id, err := s.newID()
	if err != nil {
		return api.Session{}, err
	}
	seed := make([]byte, relaySeedSize)
	if err := s.readRand(seed); err != nil {
		return api.Session{}, err
	}
	now := s.now()
	sess := store.Session{
		ID:         id,
		Advertiser: p.Party,
		Partner:    req.Partner,
		MatchKey:   pol.Keys(req.MatchKey)[0],
		Policy:     pol.Canonical(),
		PolicyHash: pol.Hash(),
		Segments:   append([]string{}, req.Segments...),
		Auditors:   append([]string{}, req.Auditors...),
		State:      api.StateCreated,
		Created:    now,
		Updated:    now,
		RelaySeed:  seed,
	}
	var out api.Session
	err = s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := checkParty(ctx, tx, "partner", req.Partner, api.RoleMediaPartner); err != nil {
			return err
		}
		for i, a := range req.Auditors {
			if err := checkParty(ctx, tx, "auditors["+strconv.Itoa(i)+"]", a, api.RoleAuditor); err != nil {
				return err
			}
		}
		if err := tx.AddSession(ctx, sess); err != nil {
			return fmt.Errorf("session: create: %w", err)
		}
		if pol.DP != nil {
			if err := s.reserveBudget(ctx, tx, sess, pol.DP.Epsilon, now); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, id, p.Party, transcript.TypeSessionCreated, createdData(sess, pol)); err != nil {
			return err
		}
		v, err := view(ctx, tx, sess)
		out = v
		return err
	})
	if err != nil {
		return api.Session{}, err
	}
	s.log.InfoContext(ctx, "session created", "session", id, "advertiser", p.Party, "partner", req.Partner,
		"segments", len(req.Segments), "dp", pol.DP != nil)
	return out, nil
}

// checkRequest validates everything in a creation request that needs no
// database, and returns the parsed policy.
func (s *Service) checkRequest(req api.CreateSessionRequest) (policy.Policy, error) {
	switch req.MatchKey {
	case api.MatchKeyEmail, api.MatchKeyPhone, api.MatchKeyMAID, "":
	default:
		return policy.Policy{}, &RequestError{Field: "match_key", Reason: "must be email, phone or maid"}
	}
	if len(req.Segments) > policy.MaxSegments {
		return policy.Policy{}, &RequestError{Field: "segments", Reason: "more than " + strconv.Itoa(policy.MaxSegments) + " segments"}
	}
	for i, name := range req.Segments {
		field := "segments[" + strconv.Itoa(i) + "]"
		if se, bad := errors.AsType[*policy.SegmentNameError](policy.CheckSegmentName(name)); bad {
			// The reason never quotes the name: it may be an identifier.
			return policy.Policy{}, &RequestError{Field: field, Reason: se.Reason}
		}
		if slices.Contains(req.Segments[:i], name) {
			return policy.Policy{}, &RequestError{Field: field, Reason: "is a duplicate"}
		}
	}
	if len(req.Auditors) > maxAuditors {
		return policy.Policy{}, &RequestError{Field: "auditors", Reason: "more than " + strconv.Itoa(maxAuditors) + " auditors"}
	}
	for i, a := range req.Auditors {
		if slices.Contains(req.Auditors[:i], a) {
			return policy.Policy{}, &RequestError{Field: "auditors[" + strconv.Itoa(i) + "]", Reason: "is a duplicate"}
		}
	}
	raw := []byte(req.Policy)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	pol, err := policy.Parse(raw)
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return policy.Policy{}, &RequestError{Field: "policy." + pe.Field, Reason: pe.Reason}
		}
		return policy.Policy{}, &RequestError{Field: "policy", Reason: "invalid"}
	}
	switch {
	case len(pol.MatchKeys) == 0 && req.MatchKey == "":
		return policy.Policy{}, &RequestError{Field: "match_key", Reason: "must be email, phone or maid (or the policy names match_keys)"}
	case len(pol.MatchKeys) > 0 && req.MatchKey != "" && req.MatchKey != pol.MatchKeys[0]:
		return policy.Policy{}, &RequestError{Field: "match_key", Reason: "must be the first of the policy's match_keys, or absent"}
	}
	if err := pol.CheckFloor(s.floor); err != nil {
		return policy.Policy{}, fmt.Errorf("%w: %w", ErrPolicyViolation, err)
	}
	if _, err := pol.SegmentMask(req.Segments); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return policy.Policy{}, &RequestError{Field: "policy." + pe.Field, Reason: pe.Reason}
		}
		return policy.Policy{}, &RequestError{Field: "policy.activation_segments", Reason: "invalid"}
	}
	if _, err := pol.Attrs(len(req.Segments)); err != nil {
		return policy.Policy{}, &RequestError{Field: "segments", Reason: "too many for the attribute bits of a record"}
	}
	return pol, nil
}

// checkParty checks that name is a registered, active party with role.
// The reason does not say which of the three failed: an advertiser has no
// need to learn which names are registered in another role.
func checkParty(ctx context.Context, tx store.Tx, field, name string, role api.Role) error {
	pt, err := tx.Party(ctx, name)
	if errors.Is(err, store.ErrNotFound) || err == nil && (pt.Role != role || !pt.RevokedAt.IsZero()) {
		return &RequestError{Field: field, Reason: "is not an active registered " + string(role)}
	}
	if err != nil {
		return fmt.Errorf("session: party lookup: %w", err)
	}
	return nil
}

// reserveBudget charges epsilon to the advertiser–partner pair, or fails
// with ErrBudgetExhausted (see the package documentation).
func (s *Service) reserveBudget(ctx context.Context, tx store.Tx, sess store.Session, epsilon float64, now time.Time) error {
	spends, err := tx.Spends(ctx, sess.Advertiser, sess.Partner, now.Add(-dp.Window))
	if err != nil {
		return fmt.Errorf("session: budget: %w", err)
	}
	ledger := make([]dp.Spend, len(spends))
	for i, sp := range spends {
		ledger[i] = dp.Spend{Time: sp.Time, Epsilon: sp.Epsilon}
	}
	if !dp.Fits(s.budget, dp.Spent(ledger, now), epsilon) {
		return fmt.Errorf("%w: epsilon %g does not fit in what remains of the pair's %g per 30 days",
			ErrBudgetExhausted, epsilon, s.budget)
	}
	err = tx.AddSpend(ctx, store.Spend{Session: sess.ID, Advertiser: sess.Advertiser, Partner: sess.Partner, Epsilon: epsilon, Time: now})
	if err != nil {
		return fmt.Errorf("session: budget: %w", err)
	}
	return nil
}

// Join records that the named media partner accepts the session's policy,
// identified by its hash. A hash other than the session's is ErrConflict
// (409): the partner reviewed another policy than the one it would be
// bound by. Joining again with the right hash while the session is still
// joined returns it unchanged, so a lost response can be retried.
func (s *Service) Join(ctx context.Context, p Principal, id string, req api.JoinRequest) (api.Session, error) {
	var out api.Session
	err := s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		sess, role, err := party(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if role != api.RoleMediaPartner {
			return fmt.Errorf("%w: only the session's media partner joins it", ErrForbidden)
		}
		if req.PolicyHash != sess.PolicyHash {
			return fmt.Errorf("%w: policy_hash is not the hash of this session's policy", ErrConflict)
		}
		switch sess.State {
		case api.StateCreated:
			if err := moveTo(&sess, api.StateJoined); err != nil {
				return err
			}
			sess.Updated = s.now()
			if err := tx.UpdateSession(ctx, sess); err != nil {
				return fmt.Errorf("session: join: %w", err)
			}
			if err := s.record(ctx, tx, id, p.Party, transcript.TypeJoined, map[string]string{keyPolicy: sess.PolicyHash}); err != nil {
				return err
			}
		case api.StateJoined:
		default:
			return &StateError{State: sess.State, Want: "joining needs a created session"}
		}
		out, err = view(ctx, tx, sess)
		return err
	})
	if err != nil {
		return api.Session{}, err
	}
	s.log.InfoContext(ctx, "session joined", "session", id, "partner", p.Party)
	return out, nil
}
