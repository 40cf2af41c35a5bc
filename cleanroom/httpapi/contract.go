package httpapi

import (
	"context"
	"io"

	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// Sessions is what the HTTP layer needs from the session service
// (implemented by *session.Service). Errors wrap the sentinels of package
// cleanroom/session; the HTTP layer maps them to statuses in one place.
type Sessions interface {
	List(ctx context.Context, p session.Principal) ([]api.Session, error)
	Create(ctx context.Context, p session.Principal, req api.CreateSessionRequest) (api.Session, error)
	Get(ctx context.Context, p session.Principal, id string) (api.Session, error)
	Join(ctx context.Context, p session.Principal, id string, req api.JoinRequest) (api.Session, error)
	// PutBlinded validates and stores one wire part of the caller's blinded
	// set while it is read from body.
	PutBlinded(ctx context.Context, p session.Principal, id string, body io.Reader) (api.PartReceipt, error)
	// Counterpart opens part n of the other party's blinded set, permuted by
	// the server's secret permutation; while the relay job has not written
	// it, it waits a little, then answers session.ErrNotReady (503).
	Counterpart(ctx context.Context, p session.Principal, id string, n int) (session.Download, error)
	// PutReblinded stores one part of the caller's re-blinded copy of the
	// counterpart set; the part completing the second set queues the join,
	// and its receipt says exchanging until the join job has run.
	PutReblinded(ctx context.Context, p session.Principal, id string, body io.Reader) (api.PartReceipt, error)
	// Results opens the caller's stored results (api.Results as JSON,
	// streamed as they are: a media partner's can be hundreds of
	// megabytes); while the join job is queued or running it answers
	// session.ErrNotReady (503).
	Results(ctx context.Context, p session.Principal, id string) (session.ResultsFile, error)
	Transcript(ctx context.Context, p session.Principal, id string) (transcript.Transcript, error)
	Delete(ctx context.Context, p session.Principal, id string) (api.Session, error)
}

// Parties is what the HTTP layer needs from the party registry.
type Parties interface {
	// Authenticate returns the party owning an API key, or an error
	// wrapping auth.ErrUnauthenticated (unknown or revoked key).
	Authenticate(ctx context.Context, apiKey string) (session.Principal, error)
	// Active reports whether a party still exists and is not revoked.
	Active(ctx context.Context, party string) (bool, error)
}
