package transcript

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is. Texts never quote the transcript's contents.
var (
	ErrSyntax    = errors.New("transcript: malformed JSON")
	ErrTooLarge  = errors.New("transcript: larger than MaxSize")
	ErrEvent     = errors.New("transcript: invalid event")
	ErrSeq       = errors.New("transcript: events not numbered 1, 2, 3, ...")
	ErrTimeOrder = errors.New("transcript: event earlier than the one before")
	ErrEmpty     = errors.New("transcript: no events")
	ErrSession   = errors.New("transcript: invalid or mismatched session id")
	ErrHead      = errors.New("transcript: invalid head")
	ErrHeadSeq   = errors.New("transcript: head does not cover exactly the events")
	ErrChain     = errors.New("transcript: events do not hash to the signed head")
	ErrSignature = errors.New("transcript: bad head signature")
	ErrKey       = errors.New("transcript: invalid Ed25519 public key")
)

// EventError says which event failed and why. Index is its position in
// Events (0-based), Seq the number it carries.
type EventError struct {
	Index int
	Seq   uint64
	Err   error
}

func (e *EventError) Error() string {
	return fmt.Sprintf("transcript: event %d (seq %d): %v", e.Index, e.Seq, e.Err)
}

func (e *EventError) Unwrap() error { return e.Err }
