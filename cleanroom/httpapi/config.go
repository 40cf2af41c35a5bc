package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/ratelimit"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// Tokens issues and verifies access tokens (implemented by *auth.Authority).
type Tokens interface {
	// Issue signs a token for party acting as role.
	Issue(party string, role api.Role) (token string, expiresIn time.Duration, err error)
	// Verify checks a token; every rejection wraps auth.ErrUnauthenticated.
	Verify(token string) (auth.Claims, error)
}

// KeySet publishes the public keys that verify access tokens (implemented
// by *auth.Keyring).
type KeySet interface {
	JWKS() []byte
}

// Limits are the rate limits: per party, and per client address for the
// one unauthenticated route that does work, the token exchange.
type Limits struct {
	// Create bounds session creations.
	Create ratelimit.Limit
	// Parts bounds part uploads and downloads together: a session moves
	// three sets of parts per party (blinded up, counterpart down,
	// re-blinded up).
	Parts ratelimit.Limit
	// Token bounds POST /v1/auth/token per client address (see
	// clientKey).
	Token ratelimit.Limit
}

// DefaultLimits let a party create a session every few seconds with bursts
// of 20, and move ten 64 MiB parts a second with bursts of 200, more than a
// single link carries; and a client address exchange keys for tokens five
// times a second with bursts of 100, where a party needs one token per 15
// minutes: they stop loops, not work.
var DefaultLimits = Limits{
	Create: ratelimit.Limit{Rate: 0.2, Burst: 20},
	Parts:  ratelimit.Limit{Rate: 10, Burst: 200},
	Token:  ratelimit.Limit{Rate: 5, Burst: 100},
}

// DefaultJSONReadTimeout bounds reading a JSON request body: the largest is
// MaxJSONBody (64 KiB), seconds on any working link. Part uploads keep the
// server's long read timeout.
const DefaultJSONReadTimeout = 20 * time.Second

// Config holds the handler's dependencies. Every field without a stated
// default is required.
type Config struct {
	Sessions Sessions
	Parties  Parties
	Tokens   Tokens
	Keys     KeySet
	// Ready reports whether the service can serve (GET /readyz).
	Ready func(ctx context.Context) error
	// StateCounts counts sessions per state, for the sessions gauge.
	StateCounts func(ctx context.Context) (map[api.State]int, error)
	// Elements returns how many group elements the service has processed.
	Elements func() uint64
	// Logger receives the access log and internal errors; nothing is
	// logged if nil.
	Logger *slog.Logger
	// Limits are the rate limits; a zero Limit takes its DefaultLimits
	// value.
	Limits Limits
	// JSONReadTimeout bounds reading a JSON request body, from the moment
	// the handler starts reading it (DefaultJSONReadTimeout if zero), so
	// that a client trickling a small body cannot hold a connection for
	// the part uploads' long read timeout.
	JSONReadTimeout time.Duration
	// Now is the clock of rate limits and request durations; time.Now if
	// nil.
	Now func() time.Time
	// Draining reports that the process is shutting down (nil: never).
	// A draining process answers /readyz and new part uploads with 503,
	// so that the load balancer and the parties' retries move to another
	// replica, and finishes what is in flight.
	Draining func() bool
	// Ops adds the metrics of background jobs and of the store to the
	// metrics handler (nil: none).
	Ops *OpsMetrics
}

var errMissingDependency = errors.New("httpapi: Sessions, Parties, Tokens, Keys, Ready, StateCounts and Elements are required")

func (cfg *Config) withDefaults() (Config, error) {
	c := *cfg
	if c.Sessions == nil || c.Parties == nil || c.Tokens == nil || c.Keys == nil ||
		c.Ready == nil || c.StateCounts == nil || c.Elements == nil {
		return c, errMissingDependency
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Draining == nil {
		c.Draining = func() bool { return false }
	}
	if c.Limits.Create == (ratelimit.Limit{}) {
		c.Limits.Create = DefaultLimits.Create
	}
	if c.Limits.Parts == (ratelimit.Limit{}) {
		c.Limits.Parts = DefaultLimits.Parts
	}
	if c.Limits.Token == (ratelimit.Limit{}) {
		c.Limits.Token = DefaultLimits.Token
	}
	if c.JSONReadTimeout <= 0 {
		c.JSONReadTimeout = DefaultJSONReadTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
