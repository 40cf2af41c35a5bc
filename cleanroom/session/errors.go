package session

import (
	"errors"
	"fmt"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// Sentinel errors. The HTTP layer maps each to a status and a stable code;
// every error the service returns wraps exactly one of them (or a
// protocol/wire error for a malformed part).
var (
	ErrBadRequest      = errors.New("session: bad request")              // 400
	ErrInvalidPart     = errors.New("session: invalid part")             // 400
	ErrInvalidElement  = errors.New("session: invalid element")          // 400
	ErrForbidden       = errors.New("session: forbidden")                // 403
	ErrNotFound        = errors.New("session: not found")                // 404, also for non-members
	ErrWrongState      = errors.New("session: wrong state")              // 409
	ErrConflict        = errors.New("session: conflict")                 // 409
	ErrTooLarge        = errors.New("session: part too large")           // 413
	ErrPolicyViolation = errors.New("session: policy violation")         // 422
	ErrTooFewRows      = errors.New("session: too few rows")             // 422
	ErrDuplicate       = errors.New("session: duplicate element")        // 422
	ErrBudgetExhausted = errors.New("session: privacy budget exhausted") // 422
	ErrRateLimited     = errors.New("session: rate limited")             // 429
	// ErrNotReady reports data that a background job is still preparing
	// (the counterpart set before its relay job ran): the call succeeds
	// if repeated a little later.
	ErrNotReady = errors.New("session: not ready yet") // 503 with Retry-After
)

// RequestError says which request field is wrong and why.
type RequestError struct {
	Field  string
	Reason string
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("session: invalid %s: %s", e.Field, e.Reason)
}

func (e *RequestError) Unwrap() error { return ErrBadRequest }

// StateError reports a call made in the wrong session state.
type StateError struct {
	State api.State // the session's current state
	Want  string    // what the call needs, in words
}

func (e *StateError) Error() string {
	return fmt.Sprintf("session: session is %s; %s", e.State, e.Want)
}

func (e *StateError) Unwrap() error { return ErrWrongState }

// ElementError reports the first invalid element of a part.
type ElementError struct {
	Part   uint32
	Record uint64 // index within the part
	Reason string
}

func (e *ElementError) Error() string {
	return fmt.Sprintf("session: part %d record %d: %s", e.Part, e.Record, e.Reason)
}

func (e *ElementError) Unwrap() error { return ErrInvalidElement }

// AttrsError refuses a blinded part whose attribute list is not the one
// the session requires of the party. Reason names at most a match key
// (email, phone, maid), which is no secret, so it may be shown.
type AttrsError struct {
	Reason string
}

func (e *AttrsError) Error() string { return "session: invalid part: " + e.Reason }

func (e *AttrsError) Unwrap() error { return ErrInvalidPart }

// DuplicateError refuses a blinded set that holds an element more than
// once. Duplicate identifiers of one party blind to byte-identical
// elements, and a threshold must count people, not a party's records (see
// checkDistinct).
type DuplicateError struct {
	Repeats uint64 // counting records equal to an earlier one
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("session: %d counting records of the blinded set repeat an element already in it", e.Repeats)
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }
