package testvectors

import (
	"errors"

	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

// reasonClass maps each reason of the README to the DecodeElement error
// that covers it. blind reports the RFC 9496 decoding failures as one
// class; replay.py checks the finer reason.
var reasonClass = map[string]error{
	schema.ReasonLength:       blind.ErrLength,
	schema.ReasonIdentity:     blind.ErrIdentity,
	schema.ReasonNonCanonical: blind.ErrNonCanonical,
	schema.ReasonNegative:     blind.ErrNonCanonical,
	schema.ReasonNonSquare:    blind.ErrNonCanonical,
	schema.ReasonNegativeXY:   blind.ErrNonCanonical,
	schema.ReasonZeroY:        blind.ErrNonCanonical,
}

// one is the scalar 1: multiplying by it decodes and re-encodes an element
// through the production code path.
var one = [32]byte{1}

func (r *replayer) encoding(path string, e *schema.Encoding) error {
	fail := func(field, reason string) error { return &Error{Vector: path, Field: field, Reason: reason} }
	if e.Valid == nil {
		return fail("valid", "missing")
	}
	b, ok := lowerHex(e.Encoding)
	if !ok {
		return fail("encoding", "not lower-case hex")
	}
	el, err := blind.DecodeElement(b)
	if !*e.Valid {
		want, ok := reasonClass[e.Reason]
		switch {
		case !ok:
			return fail("reason", "not one of the reasons of the README")
		case err == nil:
			return fail("encoding", "accepted, expected invalid")
		case !errors.Is(err, want):
			return fail("reason", "rejected with "+err.Error())
		}
		return nil
	}
	if e.Reason != "" {
		return fail("reason", "a valid encoding has none")
	}
	if err != nil {
		return fail("encoding", "rejected ("+err.Error()+"), expected valid")
	}
	k, err := blind.ParseKey(one[:])
	if err != nil {
		return err
	}
	again, err := k.Reblind(&el)
	if err != nil || again != el {
		return fail("encoding", "does not re-encode to itself")
	}
	return nil
}
