package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("session: put part of s1 at /data/parts/s1: %w", err) }
	cases := []struct {
		name    string
		err     error
		status  int
		code    string
		message string // substring the message must contain ("" = any)
	}{
		{"request error", &session.RequestError{Field: "match_key", Reason: "unknown key type"}, 400, api.CodeBadRequest, "invalid match_key: unknown key type"},
		{"wrapped request error", wrap(&session.RequestError{Field: "segments", Reason: "too many"}), 400, api.CodeBadRequest, "invalid segments: too many"},
		{"state error", wrap(&session.StateError{State: api.StateCreated, Want: "the partner must join first"}), 409, api.CodeWrongState, "the session is created; the partner must join first"},
		{"element error", wrap(&session.ElementError{Part: 2, Record: 17, Reason: "identity element"}), 400, api.CodeInvalidElement, "part 2 record 17: identity element"},
		{"bad request", wrap(session.ErrBadRequest), 400, api.CodeBadRequest, ""},
		{"invalid part", wrap(session.ErrInvalidPart), 400, api.CodeInvalidPart, ""},
		{"invalid element", wrap(session.ErrInvalidElement), 400, api.CodeInvalidElement, ""},
		{"forbidden", wrap(session.ErrForbidden), 403, api.CodeForbidden, ""},
		{"not found", wrap(session.ErrNotFound), 404, api.CodeNotFound, ""},
		{"wrong state", wrap(session.ErrWrongState), 409, api.CodeWrongState, ""},
		{"conflict", wrap(session.ErrConflict), 409, api.CodeConflict, ""},
		{"too large", wrap(session.ErrTooLarge), 413, api.CodeTooLarge, ""},
		{"policy", wrap(session.ErrPolicyViolation), 422, api.CodePolicyViolation, ""},
		{"too few rows", wrap(session.ErrTooFewRows), 422, api.CodeTooFewRows, ""},
		{"duplicate error", wrap(&session.DuplicateError{Repeats: 49}), 422, api.CodeDuplicate, "49 records of the set repeat an element"},
		{"duplicate", wrap(session.ErrDuplicate), 422, api.CodeDuplicate, "upload each identifier once"},
		{"budget", wrap(session.ErrBudgetExhausted), 422, api.CodeBudgetExhausted, ""},
		{"rate limited", wrap(session.ErrRateLimited), 429, api.CodeRateLimited, ""},
		{"auth", &auth.Error{Reason: auth.ReasonExpired}, 401, api.CodeUnauthenticated, ""},
		{"wire checksum", wrap(&wire.Error{Offset: 77, Err: wire.ErrChecksum}), 400, api.CodeInvalidPart, "checksum mismatch (at byte 77)"},
		{"wire too large", wrap(&wire.Error{Offset: 9, Err: wire.ErrTooLarge}), 413, api.CodeTooLarge, ""},
		{"wire over a body past its limit", wrap(&wire.Error{Offset: 64 << 20, Err: &http.MaxBytesError{Limit: 64 << 20}}), 413, api.CodeTooLarge, ""},
		{"wire over a broken body", wrap(&wire.Error{Offset: 5, Err: io.ErrUnexpectedEOF}), 400, api.CodeInvalidPart, "could not be read (at byte 5)"},
		{"max bytes", &http.MaxBytesError{Limit: 10}, 413, api.CodeTooLarge, ""},
		{"max bytes under a sentinel", fmt.Errorf("%w: %w", session.ErrInvalidPart, &http.MaxBytesError{Limit: 10}), 413, api.CodeTooLarge, ""},
		{"deadline", wrap(context.DeadlineExceeded), 500, api.CodeInternal, ""},
		{"unknown", errStoreDown, 500, api.CodeInternal, "internal error"},
		{"nil-free join", errors.Join(errStoreDown, errors.New("more")), 500, api.CodeInternal, ""},
	}
	for _, tc := range cases {
		p := classify(tc.err)
		if p.status != tc.status || p.detail.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, p.status, p.detail.Code, tc.status, tc.code)
		}
		if codeStatus[p.detail.Code] != p.status {
			t.Errorf("%s: code %s paired with %d", tc.name, p.detail.Code, p.status)
		}
		if !strings.Contains(p.detail.Message, tc.message) || p.detail.Message == "" {
			t.Errorf("%s: message %q, want it to contain %q", tc.name, p.detail.Message, tc.message)
		}
		// Nothing of the internal wrapping reaches the client.
		for _, leak := range []string{"/data/", "/var/lib", "sqlitestore", "session:", "s1"} {
			if strings.Contains(p.detail.Message, leak) {
				t.Errorf("%s: message %q leaks %q", tc.name, p.detail.Message, leak)
			}
		}
	}
}

// TestServiceErrorsReachTheClient runs every kind of service error through a
// real route: status, body shape and the OpenAPI description must agree.
func TestServiceErrorsReachTheClient(t *testing.T) {
	errs := []error{
		&session.RequestError{Field: "partner", Reason: "unknown party"},
		session.ErrForbidden, session.ErrNotFound,
		&session.StateError{State: api.StateComputed, Want: "uploads are closed"},
		session.ErrConflict, session.ErrPolicyViolation, session.ErrTooFewRows, &session.DuplicateError{Repeats: 3},
		session.ErrBudgetExhausted, errStoreDown,
	}
	for _, serviceErr := range errs {
		e := newEnv(t)
		e.sessions.err = serviceErr
		want := classify(serviceErr)
		for _, r := range protectedRoutes {
			if !described(t, r.method, r.path, want.status) {
				continue
			}
			rec := e.as("acme", request(r.method, r.path, r.contentType, strings.NewReader(r.body)))
			if rec.Code != want.status {
				t.Errorf("%v on %s %s: %d, want %d", serviceErr, r.method, r.path, rec.Code, want.status)
			}
			if strings.Contains(rec.Body.String(), "/var/lib") {
				t.Errorf("%s %s leaks the internal error: %s", r.method, r.path, rec.Body)
			}
		}
	}
}

// TestWireDetailSurvivesTheServiceSentinel: the service wraps decoding
// errors in ErrInvalidPart; the client still learns what and where.
func TestWireDetailSurvivesTheServiceSentinel(t *testing.T) {
	err := fmt.Errorf("%w: %w", session.ErrInvalidPart, &wire.Error{Offset: 12, Err: wire.ErrMagic})
	if p := classify(err); p.status != 400 || p.detail.Code != api.CodeInvalidPart || !strings.Contains(p.detail.Message, "bad magic") {
		t.Fatalf("%+v", p)
	}
	err = fmt.Errorf("%w: %w", session.ErrTooLarge, &wire.Error{Offset: 12, Err: wire.ErrTooLarge})
	if p := classify(err); p.status != 413 {
		t.Fatalf("%+v", p)
	}
}
