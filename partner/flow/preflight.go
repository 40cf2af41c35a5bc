package flow

import (
	"context"
	"fmt"
	"io"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Terms are what a session fixes about how a party's rows are read: the
// identifier type, the policy (its count rule decides which rows may
// leave) and the advertiser's segment names.
type Terms struct {
	MatchKey string
	Policy   policy.Policy
	Segments []string
}

// SessionTerms reads the terms of a session as the clean room sent it,
// checking that its policy has the hash it names.
func SessionTerms(s api.Session) (Terms, error) {
	pol, err := policy.ParseHashed(s.Policy, s.PolicyHash)
	if err != nil {
		return Terms{}, fmt.Errorf("%w: %w", ErrBadSession, err)
	}
	return Terms{MatchKey: string(s.MatchKey), Policy: pol, Segments: s.Segments}, nil
}

// PreflightOptions configure Preflight: the fields of Options that select
// and read the rows, and the session's terms instead of a session.
type PreflightOptions struct {
	Terms Terms
	// Role is api.RoleAdvertiser or api.RoleMediaPartner: only the
	// advertiser's rows carry segments.
	Role          api.Role
	Input         string
	Columns       csvin.Columns
	DefaultRegion string
	Hashed        bool
	Progress      Progress // default: no progress reports
}

// Preflight reads the input exactly as Run would for a session with these
// terms, without contacting the clean room or writing anything, and
// returns the summary a run would start with: rows read, would-be
// uploaded, kept home by reason, unknown segment names. With fewer
// uploadable rows than the policy's min_rows it returns that summary and
// an error wrapping ErrTooFewRows, as Run would stop.
func Preflight(ctx context.Context, o PreflightOptions) (Summary, error) {
	switch {
	case o.Input == "":
		return Summary{}, fmt.Errorf("%w: an input file is required", ErrOptions)
	case o.Role != api.RoleAdvertiser && o.Role != api.RoleMediaPartner:
		return Summary{}, fmt.Errorf("%w: role must be %s or %s", ErrOptions, api.RoleAdvertiser, api.RoleMediaPartner)
	case o.Role == api.RoleMediaPartner && o.Columns.Segments != "":
		return Summary{}, ErrSegmentsColumn
	}
	if err := checkReadOptions(o.Columns, o.DefaultRegion); err != nil {
		return Summary{}, err
	}
	if err := o.Terms.Policy.Validate(); err != nil {
		return Summary{}, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	info, err := newSessionInfo(o.Role, o.Terms.MatchKey, o.Terms.Policy, o.Terms.Segments, o.Hashed)
	if err != nil {
		return Summary{}, err
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	read := Options{Input: o.Input, Columns: o.Columns, DefaultRegion: o.DefaultRegion, Progress: o.Progress}
	a, err := readAudience(ctx, read, info, io.Discard)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{
		Role:       o.Role,
		MatchKey:   o.Terms.MatchKey,
		PolicyHash: o.Terms.Policy.Hash(),
		Rows:       RowCounts{Read: a.read, Uploaded: int64(a.len()), Rejected: a.read - int64(a.len())},
		Rejected:   a.rejected,
	}
	if len(a.unknown) > 0 {
		sum.UnknownSegments = a.unknown
	}
	return sum, a.checkMinRows(o.Terms.Policy)
}
