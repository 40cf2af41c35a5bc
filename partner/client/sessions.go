package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// ErrSessionID is returned for an empty session id or one that is not a
// single path segment.
var ErrSessionID = errors.New("client: invalid session id")

// sessionPath returns the escaped path of a session, plus suffix.
func sessionPath(id, suffix string) (string, error) {
	if id == "" || id == "." || id == ".." || len(id) > 256 {
		return "", ErrSessionID
	}
	return "/v1/sessions/" + url.PathEscape(id) + suffix, nil
}

// ListSessions returns the sessions the caller is a member of.
func (c *Client) ListSessions(ctx context.Context) ([]api.Session, error) {
	var out api.SessionList
	err := c.getJSON(ctx, call{method: http.MethodGet, path: "/v1/sessions", auth: true}, &out)
	return out.Sessions, err
}

// CreateSession proposes a session (advertisers only). It is not retried
// after a failure that may have reached the server (see the package doc):
// list the sessions before calling it again.
func (c *Client) CreateSession(ctx context.Context, req api.CreateSessionRequest) (api.Session, error) {
	var out api.Session
	err := c.getJSON(ctx, call{method: http.MethodPost, path: "/v1/sessions", json: req, auth: true, policy: unsafe}, &out)
	return out, err
}

// Session returns a session as its members see it.
func (c *Client) Session(ctx context.Context, id string) (api.Session, error) {
	return c.sessionCall(ctx, http.MethodGet, id, "", nil)
}

// Join accepts a session's policy by its canonical hash (media partners
// only). It is retried like the idempotent calls: joining again with the
// same hash is acknowledged while the session is still joined.
func (c *Client) Join(ctx context.Context, id, policyHash string) (api.Session, error) {
	return c.sessionCall(ctx, http.MethodPost, id, "/join", api.JoinRequest{PolicyHash: policyHash})
}

// Delete purges a session's blinded data.
func (c *Client) Delete(ctx context.Context, id string) (api.Session, error) {
	return c.sessionCall(ctx, http.MethodDelete, id, "", nil)
}

func (c *Client) sessionCall(ctx context.Context, method, id, suffix string, body any) (api.Session, error) {
	path, err := sessionPath(id, suffix)
	if err != nil {
		return api.Session{}, err
	}
	var out api.Session
	err = c.getJSON(ctx, call{method: method, path: path, json: body, auth: true}, &out)
	return out, err
}

// Results returns what the session's policy releases to the caller; the
// server answers 409 wrong_state until they are computed.
func (c *Client) Results(ctx context.Context, id string) (api.Results, error) {
	path, err := sessionPath(id, "/results")
	if err != nil {
		return api.Results{}, err
	}
	var out api.Results
	err = c.getJSON(ctx, call{method: http.MethodGet, path: path, auth: true, limit: maxResultsResponse}, &out)
	return out, err
}

// Transcript returns the session's signed audit transcript as the server
// sent it, for an auditor's tool to verify.
func (c *Client) Transcript(ctx context.Context, id string) (json.RawMessage, error) {
	path, err := sessionPath(id, "/transcript")
	if err != nil {
		return nil, err
	}
	var out json.RawMessage
	err = c.getJSON(ctx, call{method: http.MethodGet, path: path, auth: true, limit: maxResultsResponse}, &out)
	return out, err
}
