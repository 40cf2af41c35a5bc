package flow

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/wording"
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
	var wireID [16]byte
	b, err := hex.DecodeString(s.ID)
	if err != nil || len(b) != len(wireID) {
		return nil, fmt.Errorf("%w: session id is not 32 hex digits", ErrBadSession)
	}
	copy(wireID[:], b)
	pol, err := policy.ParseHashed(s.Policy, s.PolicyHash)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSession, err)
	}
	info, err := newSessionInfo(role, string(s.MatchKey), pol, s.Segments, hashed)
	if err != nil {
		return nil, err
	}
	info.id, info.wireID = s.ID, wireID
	return info, nil
}

// newSessionInfo derives how our rows are read and encoded from the
// session's match key, policy and segments.
func newSessionInfo(role api.Role, matchKey string, pol policy.Policy, segments []string, hashed bool) (*sessionInfo, error) {
	info := &sessionInfo{role: role, pol: pol}
	switch matchKey {
	case api.MatchKeyEmail, api.MatchKeyPhone, api.MatchKeyMAID:
		info.matchKey = identifier.Type(matchKey)
	default:
		return nil, fmt.Errorf("%w: unknown match key %q", ErrBadSession, matchKey)
	}
	if hashed {
		info.matchKey = identifier.SHA256
	}
	nseg := 0
	if role == api.RoleAdvertiser {
		info.segments = segments
		nseg = len(segments)
	}
	var err error
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

// waitFor polls the session until done holds, with waits growing from
// PollInterval to maxWait, and fails once the session has ended. While it
// waits, a Progress that is a Waiter is told what for and since when. The
// waits stop with ctx.
func (r *runner) waitFor(ctx context.Context, what string, maxWait time.Duration, done func(api.Session) bool) (api.Session, error) {
	wait := min(r.opts.PollInterval, maxWait)
	since := r.opts.Now()
	waiter, _ := r.opts.Progress.(Waiter)
	for {
		s, err := r.opts.Client.Session(ctx, r.opts.SessionID)
		if err != nil {
			return s, fmt.Errorf("flow: waiting for %s: %w", what, err)
		}
		if done(s) {
			if waiter != nil {
				waiter.Waited()
			}
			return s, nil
		}
		if s.State == api.StatePurged || s.State == api.StateExpired {
			return s, fmt.Errorf("%w (state %s)", ErrSessionEnded, s.State)
		}
		if waiter != nil {
			waiter.Waiting(r.info.waitingFor(s), r.opts.Now().Sub(since))
		}
		if err := r.opts.Sleep(ctx, wait); err != nil {
			return s, fmt.Errorf("flow: waiting for %s: %w", what, err)
		}
		wait = min(wait*3/2, maxWait)
	}
}

// waitingFor words what a session in s's state waits for, from our side:
// "waiting for daily-news to join", "waiting for daily-news's upload
// (12,000 records so far)", "waiting for daily-news to re-blind our set,
// 62%". Counts are the clean room's, as the session view reports them.
func (info *sessionInfo) waitingFor(s api.Session) string {
	other := s.Partner
	if info.role == api.RoleMediaPartner {
		other = s.Advertiser
	}
	theirs, ours := info.other(s), info.side(s)
	switch {
	case s.State == api.StateCreated:
		return fmt.Sprintf("waiting for %s to join", other)
	case !theirs.BlindedComplete:
		return fmt.Sprintf("waiting for %s's upload (%s records so far)", other, wording.Thousands(int64(theirs.BlindedRecords)))
	case s.State == api.StateExchanging && ours.CounterpartParts == 0:
		return fmt.Sprintf("waiting for the clean room to prepare %s's set", other)
	case !theirs.ReblindedComplete && ours.BlindedRecords > 0:
		return fmt.Sprintf("waiting for %s to re-blind our set, %d%%", other, theirs.ReblindedRecords*100/ours.BlindedRecords)
	}
	return "waiting for the clean room's results"
}
