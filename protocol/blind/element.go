package blind

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/blindjoin/blindjoin/protocol"
)

// Element is the canonical 32-byte encoding of a ristretto255 group element
// (RFC 9496 section 4.3.2). Values returned by DecodeElement, Blind and
// Reblind are valid non-identity encodings; a value built any other way must
// go through DecodeElement (or Reblind, which decodes the same way) first.
//
// Element formats and logs as a redaction: blinded values are pseudonymous
// identifiers and must not reach logs (DESIGN.md section 6).
type Element [protocol.ElementSize]byte

// Errors returned by DecodeElement and Reblind. Each wraps ErrInvalidElement.
// They never carry the offending bytes.
var (
	ErrInvalidElement = errors.New("blind: invalid element")
	ErrLength         = fmt.Errorf("%w: length is not %d bytes", ErrInvalidElement, protocol.ElementSize)
	ErrNonCanonical   = fmt.Errorf("%w: not a canonical ristretto255 encoding", ErrInvalidElement)
	ErrIdentity       = fmt.Errorf("%w: identity element", ErrInvalidElement)
)

// DecodeElement returns b as an Element if b is exactly a canonical encoding
// of a group element other than the identity. It implements the Decode
// operation of RFC 9496 section 4.3.1, which rejects every non-canonical
// encoding, and additionally rejects the identity, whose blinding would match
// every other party's identity. It does not allocate. CheckElements gives
// the same verdicts on a batch at a fraction of the cost per element.
func DecodeElement(b []byte) (Element, error) {
	var e Element
	if len(b) != len(e) {
		return Element{}, ErrLength
	}
	copy(e[:], b)
	// The identity has exactly one canonical encoding, all zeros: test it
	// first, it is cheaper than decoding.
	if e == (Element{}) {
		return Element{}, ErrIdentity
	}
	var f fast // decoding needs no expander
	if !f.decode(&e) {
		return Element{}, ErrNonCanonical
	}
	return e, nil
}

const redactedElement = "blind.Element(redacted)"

// String returns a fixed redaction, never the encoding.
func (Element) String() string { return redactedElement }

// GoString returns a fixed redaction, never the encoding.
func (Element) GoString() string { return redactedElement }

// Format writes a fixed redaction for every verb, %x and %d included.
func (Element) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redactedElement)) }

// LogValue keeps elements out of structured logs.
func (Element) LogValue() slog.Value { return slog.StringValue(redactedElement) }
