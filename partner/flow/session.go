package flow

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Session errors.
var (
	ErrNotJoined      = errors.New("flow: the media partner has not joined this session; review its policy and run `blindjoin session join` (or pass the policy hash to accept)")
	ErrPolicyHash     = errors.New("flow: the session's policy hash is not the one accepted")
	ErrNotMember      = errors.New("flow: the caller is neither the advertiser nor the media partner of this session")
	ErrSessionEnded   = errors.New("flow: the session ended (purged or expired) before it completed")
	ErrBadSession     = errors.New("flow: the clean room sent an inconsistent session")
	ErrSegmentsColumn = errors.New("flow: a segments column is for the advertiser; the media partner's rows carry no segments")
)

// sessionInfo is what the flow derives from the session once.
type sessionInfo struct {
	id       string
	wireID   [16]byte // the session field of every part header
	role     api.Role
	matchKey identifier.Type
	pol      policy.Policy
	attrs    []wire.Attr // our attribute list, in bit order
	eval     *policy.Evaluator
	segments []string // the advertiser's segment names, by index

	keys    []string    // the session's match keys, in priority order
	keyCols []keyColumn // multi-key: our identifier columns, in session key order
	keyBits []uint      // multi-key: the presence bit of each session key
}

// openSession fetches the session, works out our role in it, joins it if
// the options allow and it is needed, and derives the policy's attribute
// list. It returns the session as last read.
func (r *runner) openSession(ctx context.Context) (api.Session, error) {
	c := r.opts.Client
	s, err := c.Session(ctx, r.opts.SessionID)
	if err != nil {
		return s, fmt.Errorf("flow: reading the session: %w", err)
	}
	role, err := r.role(ctx, s)
	if err != nil {
		return s, err
	}
	if role == api.RoleMediaPartner {
		if r.opts.Columns.Segments != "" {
			return s, ErrSegmentsColumn
		}
		if s, err = r.ensureJoined(ctx, s); err != nil {
			return s, err
		}
	}
	info, err := deriveInfo(s, role, r.opts.Hashed)
	if err != nil {
		return s, err
	}
	r.info = info
	return s, r.resolveKeys(s)
}

// role is the caller's role in s: Options.Role, or the token's, checked
// against the party names of the session.
func (r *runner) role(ctx context.Context, s api.Session) (api.Role, error) {
	role := r.opts.Role
	id, err := r.opts.Client.Identity(ctx)
	switch {
	case err == nil:
		if role == "" {
			role = id.Role
		}
		parties := map[api.Role]string{api.RoleAdvertiser: s.Advertiser, api.RoleMediaPartner: s.Partner}
		if id.Role != role || parties[role] != id.Party {
			return "", ErrNotMember
		}
	case errors.Is(err, client.ErrNoIdentity) && role != "":
		// An opaque token: trust the option; the server checks anyway.
	default:
		return "", fmt.Errorf("flow: who am I: %w", err)
	}
	if role != api.RoleAdvertiser && role != api.RoleMediaPartner {
		return "", ErrNotMember
	}
	return role, nil
}

// ensureJoined joins s for the media partner when it is still waiting for
// it and AcceptPolicyHash names its policy.
func (r *runner) ensureJoined(ctx context.Context, s api.Session) (api.Session, error) {
	accept := r.opts.AcceptPolicyHash
	if accept != "" && accept != s.PolicyHash {
		return s, ErrPolicyHash
	}
	if s.State != api.StateCreated {
		return s, nil
	}
	if accept == "" {
		return s, ErrNotJoined
	}
	joined, err := r.opts.Client.Join(ctx, s.ID, accept)
	if client.IsCode(err, api.CodeWrongState) {
		// A retried join whose first answer was lost: read the session.
		joined, err = r.opts.Client.Session(ctx, s.ID)
	}
	if err != nil {
		return s, fmt.Errorf("flow: joining the session: %w", err)
	}
	r.opts.Logger.InfoContext(ctx, "joined the session", "session", s.ID, "policy_hash", accept)
	return joined, nil
}

// deriveInfo checks the session's fields and derives the policy's view of
// our rows.
func deriveInfo(s api.Session, role api.Role, hashed bool) (*sessionInfo, error) {
	info := &sessionInfo{id: s.ID, role: role}
	b, err := hex.DecodeString(s.ID)
	if err != nil || len(b) != len(info.wireID) {
		return nil, fmt.Errorf("%w: session id is not 32 hex digits", ErrBadSession)
	}
	copy(info.wireID[:], b)
	switch s.MatchKey {
	case api.MatchKeyEmail, api.MatchKeyPhone, api.MatchKeyMAID:
		info.matchKey = identifier.Type(s.MatchKey)
	default:
		return nil, fmt.Errorf("%w: unknown match key %q", ErrBadSession, s.MatchKey)
	}
	if hashed {
		info.matchKey = identifier.SHA256
	}
	pol, err := policy.ParseHashed(s.Policy, s.PolicyHash)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSession, err)
	}
	info.pol = pol
	nseg := 0
	if role == api.RoleAdvertiser {
		info.segments = s.Segments
		nseg = len(s.Segments)
	}
	if info.attrs, err = pol.Attrs(nseg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSession, err)
	}
	if info.eval, err = policy.NewEvaluator(pol, info.attrs); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSession, err)
	}
	return info, nil
}

// side is our upload progress as the session reports it.
func (info *sessionInfo) side(s api.Session) api.SideProgress {
	if info.role == api.RoleAdvertiser {
		return s.Uploads.Advertiser
	}
	return s.Uploads.MediaPartner
}

// other is the counterpart's upload progress.
func (info *sessionInfo) other(s api.Session) api.SideProgress {
	if info.role == api.RoleAdvertiser {
		return s.Uploads.MediaPartner
	}
	return s.Uploads.Advertiser
}

// waitFor polls the session until done holds, with growing waits, and
// fails once the session has ended. The waits stop with ctx.
func (r *runner) waitFor(ctx context.Context, what string, done func(api.Session) bool) (api.Session, error) {
	wait := r.opts.PollInterval
	for {
		s, err := r.opts.Client.Session(ctx, r.opts.SessionID)
		if err != nil {
			return s, fmt.Errorf("flow: waiting for %s: %w", what, err)
		}
		if done(s) {
			return s, nil
		}
		if s.State == api.StatePurged || s.State == api.StateExpired {
			return s, fmt.Errorf("%w (state %s)", ErrSessionEnded, s.State)
		}
		if err := r.opts.Sleep(ctx, wait); err != nil {
			return s, fmt.Errorf("flow: waiting for %s: %w", what, err)
		}
		wait = min(wait*3/2, r.opts.MaxPollInterval)
	}
}
