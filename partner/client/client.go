package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Client calls the clean room's API. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL

	mu  sync.Mutex // guards tok; held while a token is fetched
	tok token
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	cfg, base, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, base: base}, nil
}

// Host is the host (and port) of the clean room, e.g. to key local state
// per server.
func (c *Client) Host() string { return c.base.Host }

// call describes one API call.
type call struct {
	method string
	path   string // below the base URL, already escaped, e.g. "/v1/sessions/ID"
	query  url.Values
	json   any   // JSON request body, or nil
	body   *Body // part request body, or nil
	policy retryPolicy
	auth   bool // send the bearer token
	// stream hands the live response body to the caller, with the
	// attempt's deadline running until it is closed; otherwise the body is
	// read whole (at most limit bytes) inside the attempt, or by sink.
	stream bool
	limit  int64
	// sink, if set, consumes the body (at most limit bytes) inside the
	// attempt, so that a connection that breaks while it reads is
	// retried like any network error; it is called again, from the
	// start of a new body, at each attempt.
	sink func(body io.Reader) error
}

// timeout is an attempt's deadline. A body consumed by a sink (results,
// up to api.MaxResultsSize) gets PartTimeout for every wire.MaxPartSize
// it may carry: the rate a part's timeout allows, whatever its size.
func (cl *call) timeout(c *Client) time.Duration {
	switch {
	case cl.sink != nil:
		return c.cfg.PartTimeout * time.Duration(max(1, (cl.limit+wire.MaxPartSize-1)/wire.MaxPartSize))
	case cl.body != nil || cl.stream:
		return c.cfg.PartTimeout
	}
	return c.cfg.RequestTimeout
}

// noRetry marks an attempt's failure that another attempt cannot fix: a
// part body's producer failed, a token could not be had (the exchange has
// its own retries), or a response was unusable.
type noRetry struct{ err error }

func (e *noRetry) Error() string { return e.err.Error() }
func (e *noRetry) Unwrap() error { return e.err }

// do runs cl with retries and returns its 2xx response. The caller closes
// the body.
func (c *Client) do(ctx context.Context, cl call) (*http.Response, error) {
	refreshed := false
	var last error
	for attempt := 1; ; attempt++ {
		start := c.cfg.Now()
		resp, tok, err := c.attempt(ctx, &cl)
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.cfg.Logger.LogAttrs(ctx, slog.LevelDebug, "clean room request",
			slog.String("method", cl.method), slog.String("path", cl.path), slog.Int("status", status),
			slog.Int("attempt", attempt), slog.Duration("elapsed", c.cfg.Now().Sub(start)))
		var retryAfter time.Duration
		switch {
		case err == nil && status/100 == 2:
			return resp, nil
		case err == nil:
			apiErr := readAPIError(resp, c.cfg.Now())
			resp.Body.Close()
			last = apiErr
			if status == http.StatusUnauthorized && cl.auth && !refreshed {
				// The token may have been revoked or the server's keys
				// rotated: fetch a new one, once, without counting an
				// attempt.
				refreshed = true
				c.forget(tok)
				attempt--
				continue
			}
			if !cl.policy.mayRetryStatus(status) || apiErr.RetryAfter > c.cfg.MaxRetryAfter {
				return nil, apiErr
			}
			retryAfter = apiErr.RetryAfter
		default:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("client: %s %s: %w", cl.method, cl.path, ctx.Err())
			}
			last = err
			if nr, ok := errors.AsType[*noRetry](err); ok {
				return nil, nr.err
			}
			if !cl.policy.mayRetryError(err) {
				return nil, err
			}
		}
		if attempt >= c.cfg.MaxAttempts {
			return nil, last
		}
		d := retryAfter
		if d == 0 {
			d = c.backoff(attempt)
		}
		c.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "retrying clean room request",
			slog.String("method", cl.method), slog.String("path", cl.path),
			slog.Int("attempt", attempt), slog.Duration("wait", d), slog.String("error", last.Error()))
		if !c.wait(ctx, d) {
			return nil, last
		}
	}
}

// attempt sends cl once. It returns the response (2xx with its body ready
// for the caller, or any other status with its body unread), the token it
// sent, or a transport error.
func (c *Client) attempt(ctx context.Context, cl *call) (*http.Response, string, error) {
	var tok string
	if cl.auth {
		var err error
		if tok, err = c.token(ctx); err != nil {
			return nil, "", &noRetry{err}
		}
	}
	actx, cancel := context.WithTimeout(ctx, cl.timeout(c))
	req, tracked, err := c.newRequest(actx, cl, tok)
	if err != nil {
		cancel()
		return nil, tok, err
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if tracked != nil && tracked.err != nil {
		// The producer failed: whatever the transport made of it, that
		// is the cause. Only a broken download feeding the body is worth
		// another attempt.
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		err = fmt.Errorf("client: %s %s: part body: %w", cl.method, cl.path, tracked.err)
		if errors.Is(err, ErrInterrupted) {
			return nil, tok, err
		}
		return nil, tok, &noRetry{err}
	}
	if err != nil {
		cancel()
		return nil, tok, fmt.Errorf("client: %s %s: %w", cl.method, cl.path, err)
	}
	if resp.StatusCode/100 != 2 {
		// The error body is read by the caller; the deadline goes with it.
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
		return resp, tok, nil
	}
	if cl.stream {
		resp.Body = &cancelBody{ReadCloser: &interruptible{resp.Body}, cancel: cancel}
		return resp, tok, nil
	}
	defer cancel()
	defer resp.Body.Close()
	if cl.sink != nil {
		return c.sinkBody(cl, resp, tok)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, cl.limit+1))
	if err != nil {
		return nil, tok, fmt.Errorf("client: %s %s: reading the response: %w", cl.method, cl.path, err)
	}
	if int64(len(data)) > cl.limit {
		return nil, tok, &noRetry{fmt.Errorf("%w: %s %s: response larger than %d bytes", ErrResponse, cl.method, cl.path, cl.limit)}
	}
	resp.Body = &readBody{Reader: bytes.NewReader(data), data: data}
	return resp, tok, nil
}

// sinkBody hands a 2xx response's body to cl.sink. A body that broke off
// is a network error, retried if cl's policy allows; a body over the limit
// and a failure of the sink itself (bad JSON, a full disk) are not.
func (c *Client) sinkBody(cl *call, resp *http.Response, tok string) (*http.Response, string, error) {
	body := &limitedBody{r: resp.Body, left: cl.limit}
	err := cl.sink(body)
	switch {
	case body.tooLarge:
		return nil, tok, &noRetry{fmt.Errorf("%w: %s %s: response larger than %d bytes", ErrResponse, cl.method, cl.path, cl.limit)}
	case body.err != nil:
		return nil, tok, fmt.Errorf("client: %s %s: reading the response: %w", cl.method, cl.path, body.err)
	case err != nil:
		return nil, tok, &noRetry{err}
	}
	resp.Body = http.NoBody
	return resp, tok, nil
}

// limitedBody reads at most left bytes of a response body, and records
// why it stopped early: the body broke off (err), or was longer (tooLarge).
type limitedBody struct {
	r        io.Reader
	left     int64
	err      error
	tooLarge bool
}

// errTooLarge stops a sink at a body's limit.
var errTooLarge = errors.New("client: response too large")

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// At the limit: fine if the body ends here.
		var one [1]byte
		if n, err := io.ReadFull(b.r, one[:]); n == 0 && err == io.EOF {
			return 0, io.EOF
		} else if err != nil && err != io.EOF {
			b.err = err
			return 0, err
		}
		b.tooLarge = true
		return 0, errTooLarge
	}
	n, err := b.r.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// readBody is a response body read whole within its attempt.
type readBody struct {
	*bytes.Reader
	data []byte
}

func (*readBody) Close() error { return nil }

// newRequest builds the HTTP request of cl.
func (c *Client) newRequest(ctx context.Context, cl *call, tok string) (*http.Request, *trackedBody, error) {
	// cl.path is escaped already: appended to the base's string form, not
	// to its Path, which would escape it again.
	target := c.base.String() + cl.path
	if q := cl.query.Encode(); q != "" {
		target += "?" + q
	}
	var body io.Reader
	var tracked *trackedBody
	size := int64(-1)
	contentType := ""
	switch {
	case cl.json != nil:
		data, err := json.Marshal(cl.json)
		if err != nil {
			return nil, nil, &noRetry{fmt.Errorf("client: encoding the request: %w", err)}
		}
		body, size, contentType = bytes.NewReader(data), int64(len(data)), "application/json"
	case cl.body != nil:
		r, err := cl.body.Open()
		if err != nil {
			return nil, nil, &noRetry{fmt.Errorf("client: %s %s: part body: %w", cl.method, cl.path, err)}
		}
		tracked = &trackedBody{r: r, size: cl.body.Size}
		body, size, contentType = tracked, cl.body.Size, partContentType
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		if tracked != nil {
			tracked.Close()
		}
		return nil, nil, &noRetry{fmt.Errorf("client: building the request: %w", err)}
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return req, tracked, nil
}

// getJSON runs cl and decodes its JSON response into out.
func (c *Client) getJSON(ctx context.Context, cl call, out any) error {
	if cl.limit == 0 {
		cl.limit = maxJSONResponse
	}
	resp, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	// A non-streamed body is in memory already: decoding it in place
	// rather than through a json.Decoder, which would buffer a second copy,
	// keeps a large activation list from costing twice its size.
	if err := json.Unmarshal(resp.Body.(*readBody).data, out); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrResponse, cl.method, cl.path, err)
	}
	return nil
}

// run runs cl, whose sink consumes the response body.
func (c *Client) run(ctx context.Context, cl call) error {
	resp, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// Response size limits. Results have their own, which follow from the
// records the party uploaded (DownloadResults).
const (
	maxJSONResponse = 8 << 20
	// maxTranscriptResponse bounds a transcript, which grows with the
	// parts of a session (a few hundred bytes each), not with its rows.
	maxTranscriptResponse = 1 << 30
)

// cancelBody releases an attempt's deadline when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// interruptible marks read failures of a streamed response (a connection
// reset, a body shorter than its Content-Length) as ErrInterrupted, so that
// an upload fed by this download is retried. The cause is kept as text
// only: a decoder that reads io.ErrUnexpectedEOF as a truncated, corrupt
// stream (protocol/wire does) would otherwise report a broken connection
// as a bad part, and lose the ErrInterrupted that makes it retryable.
type interruptible struct{ io.ReadCloser }

func (r *interruptible) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %v", ErrInterrupted, err)
	}
	return n, err
}
