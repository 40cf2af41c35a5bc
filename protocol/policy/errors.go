package policy

import (
	"errors"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Sentinels, matched with errors.Is through the typed errors below.
var (
	ErrInvalid     = errors.New("policy: invalid policy")
	ErrLooser      = errors.New("policy: looser than the floor")
	ErrMissingAttr = errors.New("policy: attribute list does not cover the policy")
	ErrAttrs       = errors.New("policy: invalid attribute list")
	ErrHash        = errors.New("policy: the policy does not have the expected hash")
)

// Error is an invalid policy field. Field is a JSON path such as "k",
// "count_purposes.any_of[1]" or "dp.epsilon" (empty for the whole document).
// Reason never quotes the rejected value.
type Error struct {
	Field  string
	Reason string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "policy: " + e.Reason
	}
	return "policy: " + e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalid) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// FloorError lists the fields in which a policy is looser than the floor.
type FloorError struct {
	Fields []string
}

func (e *FloorError) Error() string {
	return "policy: looser than the floor in " + strings.Join(e.Fields, ", ")
}

// Is makes errors.Is(err, ErrLooser) true for every *FloorError.
func (e *FloorError) Is(target error) bool { return target == ErrLooser }

// MissingAttrError lists the attributes the policy needs that a declared
// attribute list lacks.
type MissingAttrError struct {
	Missing []wire.Attr
}

func (e *MissingAttrError) Error() string {
	var b strings.Builder
	b.WriteString("policy: attribute list lacks ")
	for i, a := range e.Missing {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(attrName(a))
	}
	return b.String()
}

// Is makes errors.Is(err, ErrMissingAttr) true for every *MissingAttrError.
func (e *MissingAttrError) Is(target error) bool { return target == ErrMissingAttr }
