package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// problem is an error response: a status and the body's detail.
type problem struct {
	status int
	detail api.ErrorDetail
}

func newProblem(status int, code, message string) problem {
	return problem{status: status, detail: api.ErrorDetail{Code: code, Message: message}}
}

// sentinels maps the service's sentinel errors to a response, in the order
// they are tested. Messages are fixed: the error text may carry internal
// context and goes to the log only.
var sentinels = []struct {
	err error
	p   problem
}{
	{auth.ErrUnauthenticated, errUnauthenticated},
	{session.ErrBadRequest, newProblem(http.StatusBadRequest, api.CodeBadRequest, "the request is invalid")},
	{session.ErrInvalidPart, newProblem(http.StatusBadRequest, api.CodeInvalidPart, "the part is malformed")},
	{session.ErrInvalidElement, newProblem(http.StatusBadRequest, api.CodeInvalidElement, "the part holds an invalid element")},
	{session.ErrForbidden, newProblem(http.StatusForbidden, api.CodeForbidden, "your role may not do this")},
	{session.ErrNotFound, errNotFound},
	{session.ErrWrongState, newProblem(http.StatusConflict, api.CodeWrongState, "the session is not in a state that allows this")},
	{session.ErrConflict, newProblem(http.StatusConflict, api.CodeConflict, "this conflicts with what the session already holds")},
	{session.ErrTooLarge, errTooLarge},
	{wire.ErrTooLarge, errTooLarge},
	{session.ErrPolicyViolation, newProblem(http.StatusUnprocessableEntity, api.CodePolicyViolation, "the request violates the session policy")},
	{session.ErrTooFewRows, newProblem(http.StatusUnprocessableEntity, api.CodeTooFewRows, "the set has fewer rows than the policy's minimum")},
	{session.ErrDuplicate, newProblem(http.StatusUnprocessableEntity, api.CodeDuplicate, "the set holds an element more than once; upload each identifier once")},
	{session.ErrBudgetExhausted, newProblem(http.StatusUnprocessableEntity, api.CodeBudgetExhausted, "the privacy budget of this advertiser and partner is exhausted")},
	{session.ErrRateLimited, errRateLimited},
	{session.ErrNotReady, errPreparing},
}

var (
	errUnauthenticated = newProblem(http.StatusUnauthorized, api.CodeUnauthenticated, "missing, invalid or expired credentials")
	errNotFound        = newProblem(http.StatusNotFound, api.CodeNotFound, "not found")
	errTooLarge        = newProblem(http.StatusRequestEntityTooLarge, api.CodeTooLarge, "the request body is too large")
	errRateLimited     = newProblem(http.StatusTooManyRequests, api.CodeRateLimited, "too many requests; retry later")
	errUnavailable     = newProblem(http.StatusServiceUnavailable, api.CodeUnavailable, "the service is not available; retry later")
	errPreparing       = newProblem(http.StatusServiceUnavailable, api.CodeUnavailable, "the clean room is still preparing this; retry shortly")
	errInternal        = newProblem(http.StatusInternalServerError, api.CodeInternal, "internal error")
)

// classify is the one place where an error becomes a response. Typed errors
// contribute their fields, which their packages keep free of secrets and
// record contents; everything unrecognized is an internal error.
func classify(err error) problem {
	// A body past its limit is 413 whoever noticed, even when the reader
	// that hit the limit wrapped the error as a malformed part.
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return errTooLarge
	}
	if e, ok := errors.AsType[*session.RequestError](err); ok {
		return newProblem(http.StatusBadRequest, api.CodeBadRequest, fmt.Sprintf("invalid %s: %s", e.Field, e.Reason))
	}
	if e, ok := errors.AsType[*session.StateError](err); ok {
		return newProblem(http.StatusConflict, api.CodeWrongState, fmt.Sprintf("the session is %s; %s", e.State, e.Want))
	}
	// The count of repeats is about the caller's own set; no element is
	// named.
	if e, ok := errors.AsType[*session.DuplicateError](err); ok {
		return newProblem(http.StatusUnprocessableEntity, api.CodeDuplicate, fmt.Sprintf(
			"%d records of the set repeat an element already in it; upload each identifier once (the part was not recorded)", e.Repeats))
	}
	if e, ok := errors.AsType[*session.AttrsError](err); ok {
		return newProblem(http.StatusBadRequest, api.CodeInvalidPart, e.Reason)
	}
	if e, ok := errors.AsType[*session.ElementError](err); ok {
		return newProblem(http.StatusBadRequest, api.CodeInvalidElement, fmt.Sprintf("part %d record %d: %s", e.Part, e.Record, e.Reason))
	}
	// A decoding error carries its offset and a fixed text, more useful
	// than the sentinel the service wraps it in.
	if e, ok := errors.AsType[*wire.Error](err); ok {
		return wireProblem(e)
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.p
		}
	}
	return errInternal
}

// wireFormatErrors are the protocol/wire sentinels that describe the part
// itself (rather than the reader under it); their fixed texts are safe to
// show.
var wireFormatErrors = []error{
	wire.ErrMagic, wire.ErrVersion, wire.ErrSuite, wire.ErrKind, wire.ErrHeader,
	wire.ErrChunk, wire.ErrRecord, wire.ErrTruncated, wire.ErrTrailingData, wire.ErrChecksum,
}

// wireProblem describes a part that failed to decode. A *wire.Error can also
// carry the failure of the body reader (a client that went away), which is
// not the part's fault and says nothing useful to show.
func wireProblem(e *wire.Error) problem {
	if errors.Is(e.Err, wire.ErrTooLarge) {
		return errTooLarge
	}
	for _, s := range wireFormatErrors {
		if errors.Is(e.Err, s) {
			return newProblem(http.StatusBadRequest, api.CodeInvalidPart, fmt.Sprintf("%v (at byte %d)", s, e.Offset))
		}
	}
	return newProblem(http.StatusBadRequest, api.CodeInvalidPart, fmt.Sprintf("the part could not be read (at byte %d)", e.Offset))
}
