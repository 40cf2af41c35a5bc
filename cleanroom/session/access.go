package session

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// idBytes is the length of a session id before hex encoding; the wire
// header's session field carries the same 16 bytes.
const idBytes = 16

// newID returns a fresh random session id: 32 lowercase hex characters.
func (s *Service) newID() (string, error) {
	var b [idBytes]byte
	if err := s.readRand(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// parseID returns the 16 bytes of a well-formed id (32 lowercase hex
// characters, nothing else).
func parseID(id string) ([idBytes]byte, bool) {
	var b [idBytes]byte
	if len(id) != 2*idBytes {
		return b, false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return b, false
		}
	}
	_, err := hex.Decode(b[:], []byte(id))
	return b, err == nil
}

// memberRole is the role in which p takes part in sess, or "" when p is
// not a member. A party's name and its registered role must both match,
// so a party can never act in a role it was not registered for.
func memberRole(sess store.Session, p Principal) api.Role {
	switch {
	case p.Role == api.RoleAdvertiser && p.Party == sess.Advertiser:
		return api.RoleAdvertiser
	case p.Role == api.RoleMediaPartner && p.Party == sess.Partner:
		return api.RoleMediaPartner
	case p.Role == api.RoleAuditor && slices.Contains(sess.Auditors, p.Party):
		return api.RoleAuditor
	}
	return ""
}

// errNoSession is what every caller that is not a member gets, whether or
// not the session exists, so ids cannot be probed.
var errNoSession = fmt.Errorf("%w: no such session", ErrNotFound)

// member loads a session and the caller's role in it.
func member(ctx context.Context, tx store.Tx, p Principal, id string) (store.Session, api.Role, error) {
	if _, ok := parseID(id); !ok {
		return store.Session{}, "", errNoSession
	}
	sess, err := tx.Session(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, "", errNoSession
	}
	if err != nil {
		return store.Session{}, "", fmt.Errorf("session: load: %w", err)
	}
	role := memberRole(sess, p)
	if role == "" {
		return store.Session{}, "", errNoSession
	}
	return sess, role, nil
}

// party loads a session for one of its two parties; auditors get
// ErrForbidden (they may only read the session and its transcript).
func party(ctx context.Context, tx store.Tx, p Principal, id string) (store.Session, api.Role, error) {
	sess, role, err := member(ctx, tx, p, id)
	if err != nil {
		return sess, role, err
	}
	if role == api.RoleAuditor {
		return store.Session{}, "", fmt.Errorf("%w: auditors may only read a session and its transcript", ErrForbidden)
	}
	return sess, role, nil
}

// loadAsParty is party in a read-only transaction of its own, for calls
// that only need to know the session and the caller's side before they
// stream a part.
func (s *Service) loadAsParty(ctx context.Context, p Principal, id string) (sess store.Session, side api.Role, err error) {
	err = s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		sess, side, err = party(ctx, tx, p, id)
		return err
	})
	return sess, side, err
}

// otherSide is the counterpart of a party's side.
func otherSide(side api.Role) api.Role {
	if side == api.RoleAdvertiser {
		return api.RoleMediaPartner
	}
	return api.RoleAdvertiser
}
