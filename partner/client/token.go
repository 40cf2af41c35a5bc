package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// token is the current access token and when to replace it.
type token struct {
	value     string
	refreshAt time.Time
}

// maxRefreshMargin is how long before expiry a token is replaced at most;
// short-lived tokens are replaced when three quarters of their life is gone.
const maxRefreshMargin = time.Minute

// token returns a valid access token, fetching a new one when there is
// none or the current one is about to expire.
func (c *Client) token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Measured before the request, so the latency of the exchange only
	// makes the refresh earlier.
	now := c.cfg.Now()
	if c.tok.value != "" && now.Before(c.tok.refreshAt) {
		return c.tok.value, nil
	}
	var resp api.TokenResponse
	err := c.getJSON(ctx, call{
		method: http.MethodPost, path: "/v1/auth/token",
		json:   api.TokenRequest{APIKey: string(c.cfg.APIKey)},
		policy: idempotent, // a second token is harmless
	}, &resp)
	if err != nil {
		return "", fmt.Errorf("client: token exchange: %w", err)
	}
	if !validToken(resp.AccessToken) || !strings.EqualFold(resp.TokenType, "Bearer") || resp.ExpiresIn <= 0 {
		return "", fmt.Errorf("%w: token exchange: not a bearer token with a lifetime", ErrResponse)
	}
	ttl := time.Duration(resp.ExpiresIn) * time.Second
	c.tok = token{value: resp.AccessToken, refreshAt: now.Add(ttl - min(maxRefreshMargin, ttl/4))}
	return c.tok.value, nil
}

// forget drops tok if it is still the current token, so that the next
// call fetches a new one (and a token another goroutine just fetched is
// kept).
func (c *Client) forget(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.value == tok {
		c.tok = token{}
	}
}

// maxTokenLen bounds an access token (a JWT of a few hundred bytes).
const maxTokenLen = 8 << 10

// validToken accepts the b64token syntax of RFC 6750 section 2.1, so a
// token can never smuggle anything into the Authorization header.
func validToken(t string) bool {
	if t == "" || len(t) > maxTokenLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/=", c) >= 0) {
			return false
		}
	}
	return true
}

// Identity is who the clean room says the caller is.
type Identity struct {
	Party string   // the registered party name
	Role  api.Role // api.RoleAdvertiser, api.RoleMediaPartner or api.RoleAuditor
}

// Identity reads the caller's party name and role from the claims of its
// access token (the "sub" and "role" claims of the clean room's JWTs),
// without verifying the signature: the token came from the server over the
// authenticated channel, and the server checks every request against the
// claims anyway. It tells a flow which side of a session it is on.
func (c *Client) Identity(ctx context.Context) (Identity, error) {
	tok, err := c.token(ctx)
	if err != nil {
		return Identity{}, err
	}
	return parseIdentity(tok)
}

// parseIdentity decodes the payload of a JWT (RFC 7519) into an Identity.
func parseIdentity(tok string) (Identity, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Identity{}, ErrNoIdentity
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Identity{}, ErrNoIdentity
	}
	var claims struct {
		Sub  string   `json:"sub"`
		Role api.Role `json:"role"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Sub == "" {
		return Identity{}, ErrNoIdentity
	}
	switch claims.Role {
	case api.RoleAdvertiser, api.RoleMediaPartner, api.RoleAuditor:
		return Identity{Party: claims.Sub, Role: claims.Role}, nil
	}
	return Identity{}, ErrNoIdentity
}
