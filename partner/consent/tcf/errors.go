package tcf

import "errors"

// ErrMalformed is wrapped by every error Decode returns.
var ErrMalformed = errors.New("tcf: malformed TC string")

// A DecodeError says which field of a TC string could not be decoded and why.
// It never contains the string or any part of it.
type DecodeError struct {
	// Field is the spec's name of the field, prefixed by its section, e.g.
	// "VendorConsents.EndVendorId" or "PublisherTC.NumCustomPurposes".
	Field string
	// Reason says what is wrong with it.
	Reason string
}

func (e *DecodeError) Error() string {
	return ErrMalformed.Error() + ": " + e.Field + ": " + e.Reason
}

// Unwrap lets errors.Is(err, ErrMalformed) hold for every decoding error.
func (e *DecodeError) Unwrap() error { return ErrMalformed }

func malformed(field, reason string) *DecodeError {
	return &DecodeError{Field: field, Reason: reason}
}
