package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of the zero Config fields.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultPartTimeout    = 15 * time.Minute // 64 MiB at 600 kbit/s
	DefaultMaxAttempts    = 6
	DefaultBaseBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	// DefaultMaxRetryAfter caps how long a Retry-After can make the client
	// wait; a longer one is returned to the caller as the error.
	DefaultMaxRetryAfter = 5 * time.Minute
)

// Secret is a credential. It formats and logs as a redaction, so a Config
// printed by mistake does not leak it.
type Secret string

const redacted = "[redacted]"

func (Secret) String() string             { return redacted }
func (Secret) GoString() string           { return redacted }
func (Secret) Format(f fmt.State, _ rune) { f.Write([]byte(redacted)) }
func (Secret) LogValue() slog.Value       { return slog.StringValue(redacted) }

// Config configures a Client. BaseURL and APIKey are required; every other
// zero field takes its default.
type Config struct {
	// BaseURL is the clean room's address, e.g. "https://cleanroom.example".
	// Plain http is accepted only for a loopback host or with AllowInsecure.
	BaseURL       string
	APIKey        Secret
	AllowInsecure bool

	// HTTPClient sends the requests. Its Timeout should be zero: a whole
	// client timeout would cut streaming part transfers, which get
	// per-attempt deadlines instead. Default: a clone of
	// http.DefaultTransport that does not follow redirects.
	HTTPClient *http.Client
	// RootCAs, when set, are the certificate authorities the default
	// HTTPClient trusts for https, instead of the system's: a clean room
	// with a private or self-signed certificate. Ignored with HTTPClient.
	RootCAs *x509.CertPool

	RequestTimeout time.Duration // per attempt of a JSON call
	PartTimeout    time.Duration // per attempt of a part upload or download
	MaxAttempts    int           // attempts per call, including the first
	BaseBackoff    time.Duration // backoff before the second attempt
	MaxBackoff     time.Duration // backoff cap
	MaxRetryAfter  time.Duration // longest Retry-After honoured

	// Logger receives one debug record per attempt and a warning per retry.
	// Default: discard.
	Logger *slog.Logger
	// UserAgent is sent with every request. Default "blindjoin-client".
	UserAgent string

	// Now and Sleep are injectable for tests. Sleep must return early with
	// ctx.Err() when ctx ends.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a uniform value in [0, 1); default math/rand/v2.
	Jitter func() float64
}

// Configuration errors returned by New.
var (
	ErrBaseURL   = errors.New("client: base URL must be an absolute http(s) URL with a host")
	ErrPlainHTTP = errors.New("client: refusing to send credentials over plain http to a non-loopback host (use https, or AllowInsecure)")
	ErrNoAPIKey  = errors.New("client: an API key is required")
)

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, *url.URL, error) {
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "https" && u.Scheme != "http") {
		return c, nil, ErrBaseURL
	}
	if u.Scheme == "http" && !c.AllowInsecure && !loopback(u.Hostname()) {
		return c, nil, ErrPlainHTTP
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if c.APIKey == "" {
		return c, nil, ErrNoAPIKey
	}
	if c.HTTPClient == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		if c.RootCAs != nil {
			transport.TLSClientConfig = &tls.Config{RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12}
		}
		c.HTTPClient = &http.Client{
			Transport: transport,
			// An API has one spelling per route; a redirect is an error,
			// and following one could carry a part body elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	setDefault(&c.PartTimeout, DefaultPartTimeout)
	setDefault(&c.MaxAttempts, DefaultMaxAttempts)
	setDefault(&c.BaseBackoff, DefaultBaseBackoff)
	setDefault(&c.MaxBackoff, DefaultMaxBackoff)
	setDefault(&c.MaxRetryAfter, DefaultMaxRetryAfter)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.UserAgent == "" {
		c.UserAgent = "blindjoin-client"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = Sleep
	}
	if c.Jitter == nil {
		c.Jitter = rand.Float64
	}
	return c, u, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Sleep waits d, or returns ctx.Err() as soon as ctx ends: the default of
// Config.Sleep, for callers that take an injectable sleep too.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
