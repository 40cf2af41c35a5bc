package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

// Results returns what the session's policy releases to the caller
// without the media partner's activation records, which it only counts: a
// list that grows with the partner's audience is written to a file by
// DownloadResults, never held in memory. The server answers 409
// wrong_state until the results are computed. The body is decoded by
// api.ReadResults, whose bounds keep the memory small, and is at most
// api.MaxResultsSize bytes.
func (c *Client) Results(ctx context.Context, id string) (api.Results, int64, error) {
	path, err := sessionPath(id, "/results")
	if err != nil {
		return api.Results{}, 0, err
	}
	var res api.Results
	var records int64
	err = c.run(ctx, call{method: http.MethodGet, path: path, auth: true, limit: api.MaxResultsSize, sink: func(body io.Reader) error {
		records = 0
		var err error
		res, err = api.ReadResults(body, func(api.ActivationRecord) error { records++; return nil })
		if err != nil {
			return fmt.Errorf("%w: GET %s: %w", ErrResponse, path, err)
		}
		return nil
	}})
	return res, records, err
}

// File is where DownloadResults writes; an *os.File is one.
type File interface {
	io.Writer
	io.Seeker
	Truncate(size int64) error
}

// DownloadResults writes what the session's policy releases to the
// caller to dst, as the server sent it, and returns its size. Each
// attempt writes dst from its start, so a download that broke off is
// retried whole. A body over limit bytes is ErrResponse: the caller
// bounds it by what it uploaded (api.ResultsSizeLimit), so that a
// misbehaving server cannot fill its disk. The body is not decoded here;
// api.ReadResults reads the file.
func (c *Client) DownloadResults(ctx context.Context, id string, dst File, limit int64) (int64, error) {
	path, err := sessionPath(id, "/results")
	if err != nil {
		return 0, err
	}
	var size int64
	err = c.run(ctx, call{method: http.MethodGet, path: path, auth: true, limit: limit, sink: func(body io.Reader) error {
		if _, err := dst.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("client: results file: %w", err)
		}
		if err := dst.Truncate(0); err != nil {
			return fmt.Errorf("client: results file: %w", err)
		}
		size, err = io.Copy(dst, body)
		if err != nil {
			return fmt.Errorf("client: results file: %w", err)
		}
		return nil
	}})
	return size, err
}

// Transcript returns the session's signed audit transcript as the server
// sent it, for an auditor's tool to verify.
func (c *Client) Transcript(ctx context.Context, id string) (json.RawMessage, error) {
	path, err := sessionPath(id, "/transcript")
	if err != nil {
		return nil, err
	}
	var out json.RawMessage
	err = c.getJSON(ctx, call{method: http.MethodGet, path: path, auth: true, limit: maxTranscriptResponse}, &out)
	return out, err
}
