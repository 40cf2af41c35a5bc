package identifier

import "errors"

var (
	// ErrInvalid is wrapped by every *Error: the input is not a valid
	// identifier of the requested type.
	ErrInvalid = errors.New("identifier: invalid")

	// ErrUnknownType is returned for a Type that is not one of Types().
	ErrUnknownType = errors.New("identifier: unknown type (want email, phone, maid or sha256)")

	// ErrUnknownRegion is returned when Normalizer.DefaultRegion is not an
	// upper-case ISO 3166 alpha-2 code known to the phone metadata. It is a
	// configuration error, not a property of the input.
	ErrUnknownRegion = errors.New("identifier: unknown default region (want an upper-case ISO 3166 alpha-2 code such as FR or US)")
)

// Error reports why an input is not a valid identifier of Type. Reason is a
// short constant phrase that never contains the input.
type Error struct {
	Type   Type
	Reason string
}

func (e *Error) Error() string {
	return "identifier: invalid " + string(e.Type) + ": " + e.Reason
}

// Unwrap lets callers test errors.Is(err, ErrInvalid).
func (e *Error) Unwrap() error { return ErrInvalid }

func invalid(t Type, reason string) error {
	return &Error{Type: t, Reason: reason}
}

// Reasons shared by several types.
const (
	reasonEmpty = "empty"
)
