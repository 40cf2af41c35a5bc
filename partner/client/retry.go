package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryPolicy says after which failures a call may be sent again.
type retryPolicy int

const (
	// idempotent calls are retried after any transient failure.
	idempotent retryPolicy = iota
	// unsafe calls (session creation) are retried only when the server
	// certainly did nothing: a 429, or a connection never established.
	unsafe
)

// retryableStatus reports whether status is a transient failure.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// mayRetryStatus reports whether a response with status may be retried
// under policy p.
func (p retryPolicy) mayRetryStatus(status int) bool {
	if p == unsafe {
		return status == http.StatusTooManyRequests
	}
	return retryableStatus(status)
}

// mayRetryError reports whether a transport error may be retried under p.
func (p retryPolicy) mayRetryError(err error) bool {
	if p == unsafe {
		return notConnected(err)
	}
	return true
}

// notConnected reports whether err happened before a connection existed,
// so that no byte of the request can have reached the server.
func notConnected(err error) bool {
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return true
	}
	op, ok := errors.AsType[*net.OpError](err)
	return ok && op.Op == "dial"
}

// backoff is the wait before attempt+1 (attempt counts from 1): an
// exponential ceiling with full jitter, so that many clients failing
// together do not come back together.
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.cfg.BaseBackoff
	for i := 1; i < attempt && ceiling < c.cfg.MaxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.cfg.MaxBackoff)
	// At least half the ceiling, so a retry storm still spreads out.
	return ceiling/2 + time.Duration(c.cfg.Jitter()*float64(ceiling/2))
}

// wait sleeps before the next attempt. It returns false without sleeping
// when the wait would end after the context's deadline, or when the
// context ends first.
func (c *Client) wait(ctx context.Context, d time.Duration) bool {
	if deadline, ok := ctx.Deadline(); ok && c.cfg.Now().Add(d).After(deadline) {
		return false
	}
	return c.cfg.Sleep(ctx, d) == nil
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an
// HTTP-date (RFC 9110 section 10.2.3). Anything else, or a date in the
// past, is zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
