package flow

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Plan is what Preflight assumes of a session, which it does not ask the
// clean room for: the caller's role, the match key, the policy and the
// session's segments.
type Plan struct {
	Role     api.Role       // api.RoleAdvertiser (default) or api.RoleMediaPartner
	MatchKey string         // api.MatchKeyEmail (default), MatchKeyPhone or MatchKeyMAID
	Policy   *policy.Policy // default policy.Default()
	// Segments are the session's segment names. Nil: the session's
	// segments are not known yet (the advertiser is about to declare them
	// with --segments-from); every label found is then reported in
	// Summary.UnknownSegments, which is then the list of segments found.
	Segments []string
}

// planSessionID stands in for a session id: the read never depends on it.
const planSessionID = "00000000000000000000000000000000"

// Preflight reads opts.Input exactly as Run would for a session like plan
// (same reader, same classification, same consent and segment reading)
// and returns the would-be summary's account of the input and the
// warnings Run would give, without contacting any clean room: Client,
// SessionID, KeyDir and OutDir are not used, and nothing is written.
// Only Input, Format, Columns, DefaultRegion, Hashed, ConsentMap,
// SegmentNames and NoSegments matter.
func Preflight(ctx context.Context, opts Options, plan Plan) (Summary, []Warning, error) {
	if opts.Input == "" {
		return Summary{}, nil, fmt.Errorf("%w: an input file is required", ErrOptions)
	}
	if err := opts.checkRead(); err != nil {
		return Summary{}, nil, err
	}
	s, role, err := plan.session()
	if err != nil {
		return Summary{}, nil, err
	}
	if role == api.RoleMediaPartner && opts.Columns.Segments != "" {
		return Summary{}, nil, ErrSegmentsColumn
	}
	info, err := deriveInfo(s, role, opts.Hashed)
	if err != nil {
		return Summary{}, nil, err
	}
	opts.OutDir = ""
	opts.Progress, opts.Logger = noProgress{}, slog.New(slog.DiscardHandler)
	r := &runner{opts: opts, info: info, labelsFound: plan.Segments == nil}
	if err := r.resolveKeys(s); err != nil {
		return Summary{}, nil, err
	}
	r.summary = Summary{Role: info.role, MatchKey: s.MatchKey, PolicyHash: s.PolicyHash}
	a, err := r.readInput(ctx)
	if err != nil {
		return Summary{}, nil, err
	}
	defer a.close()
	r.summarizeInput(a)
	warnings := r.warnings(a)
	if int64(a.len()) < info.pol.MinRows {
		warnings = append(warnings, Warning{WarnMinRows, fmt.Sprintf("%s rows would be uploaded; the policy needs %s: match would refuse to start",
			wording.Thousands(int64(a.len())), wording.Thousands(info.pol.MinRows))})
	}
	return r.summary, warnings, nil
}

// session is the session plan describes, and the caller's role in it.
func (p Plan) session() (api.Session, api.Role, error) {
	role, key := p.Role, p.MatchKey
	if role == "" {
		role = api.RoleAdvertiser
	}
	if key == "" {
		key = api.MatchKeyEmail
	}
	if role != api.RoleAdvertiser && role != api.RoleMediaPartner {
		return api.Session{}, "", fmt.Errorf("%w: role must be %s or %s", ErrOptions, api.RoleAdvertiser, api.RoleMediaPartner)
	}
	pol := policy.Default()
	if p.Policy != nil {
		pol = *p.Policy
	}
	for _, name := range p.Segments {
		if err := policy.CheckSegmentName(name); err != nil {
			return api.Session{}, "", fmt.Errorf("%w: segment %q: %w", ErrOptions, strings.TrimSpace(name), err)
		}
	}
	if len(pol.MatchKeys) > 0 {
		key = pol.MatchKeys[0]
	}
	return api.Session{
		ID: planSessionID, MatchKey: key, MatchKeys: pol.MatchKeys, Segments: p.Segments,
		Policy: pol.Canonical(), PolicyHash: pol.Hash(),
	}, role, nil
}

// PlanOf is the plan of an existing session, as the clean room sent it,
// for role: a preflight for it reads the file exactly as Run will.
func PlanOf(s api.Session, role api.Role) (Plan, error) {
	pol, err := policy.ParseHashed(s.Policy, s.PolicyHash)
	if err != nil {
		return Plan{}, fmt.Errorf("%w: %w", ErrBadSession, err)
	}
	// A session without segments has none to find: not nil, which would
	// make the preflight report every label as found.
	segments := s.Segments
	if segments == nil {
		segments = []string{}
	}
	return Plan{Role: role, MatchKey: string(s.MatchKey), Policy: &pol, Segments: segments}, nil
}
