package httpapi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// partyHandler serves a request made by an authenticated party.
type partyHandler func(c *gin.Context, p session.Principal)

// Reasons for a 401 that auth.Verify does not produce, as logged and
// counted; the client sees the same message for all of them.
var (
	errNoBearer = fmt.Errorf("httpapi: no bearer token: %w", auth.ErrUnauthenticated)
	errInactive = fmt.Errorf("httpapi: party revoked or removed: %w", auth.ErrUnauthenticated)
)

// authed authenticates the request before next runs: a valid access token
// (auth), then a party that is still active (a revoked party's tokens stop
// working at once, not when they expire).
func (h *handler) authed(next partyHandler) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := h.authenticate(c)
		if err != nil {
			h.metrics.authFailures.WithLabelValues(failureReason(err)).Inc()
			fail(c, err)
			return
		}
		c.Set(ctxParty, p.Party)
		next(c, p)
	}
}

func (h *handler) authenticate(c *gin.Context) (session.Principal, error) {
	token, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		return session.Principal{}, errNoBearer
	}
	claims, err := h.tokens.Verify(token)
	if err != nil {
		return session.Principal{}, err
	}
	active, err := h.parties.Active(c.Request.Context(), claims.Party)
	if err != nil {
		return session.Principal{}, fmt.Errorf("httpapi: checking party: %w", err)
	}
	if !active {
		return session.Principal{}, errInactive
	}
	return session.Principal{Party: claims.Party, Role: claims.Role}, nil
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header (RFC 6750 section 2.1; the scheme is case-insensitive).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// failureReason labels an authentication failure for the metrics with a
// value from a small fixed set.
func failureReason(err error) string {
	if e, ok := errors.AsType[*auth.Error](err); ok {
		return string(e.Reason)
	}
	switch {
	case errors.Is(err, errNoBearer):
		return "no bearer token"
	case errors.Is(err, errInactive):
		return "party inactive"
	case errors.Is(err, auth.ErrUnauthenticated):
		return "unauthenticated"
	}
	return "error"
}
