package blind

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/gtank/ristretto255"

	"github.com/blindjoin/blindjoin/protocol"
)

// Key is a party's secret scalar for one session: non-zero and below the
// group order. It is safe for concurrent use.
//
// Key formats and logs as a redaction; only Bytes reveals the scalar.
type Key struct {
	s ristretto255.Scalar
	// portable makes the batch methods use the portable group arithmetic
	// whatever the CPU (see Portable).
	portable bool
}

// ErrInvalidKey is returned by ParseKey; the message says which rule failed
// but never shows the bytes.
var ErrInvalidKey = errors.New("blind: invalid key")

// ErrRandomness is returned by GenerateKey when the random source fails or
// produces an impossible scalar.
var ErrRandomness = errors.New("blind: random source failed")

// GenerateKey draws a fresh scalar from rand (normally crypto/rand.Reader).
//
// It reads 64 bytes and reduces them modulo the group order l, as RFC 9496
// section 4.4 recommends for uniform scalars: the result is within about
// 2^-260 of uniform, with no rejection loop. The zero scalar comes out with
// probability about 2^-252, so it is taken as proof of a broken source and
// returned as an error instead of being retried.
func GenerateKey(rand io.Reader) (*Key, error) {
	var wide [64]byte
	defer clear(wide[:])
	if _, err := io.ReadFull(rand, wide[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRandomness, err)
	}
	k := new(Key)
	_, _ = k.s.SetUniformBytes(wide[:]) // fails only on a length other than 64
	if k.isZero() {
		return nil, fmt.Errorf("%w: zero scalar", ErrRandomness)
	}
	return k, nil
}

// ParseKey returns the Key whose encoding is b: exactly 32 bytes,
// little-endian, canonical (below the group order, RFC 9496 section 4.4) and
// not zero. Anything else is rejected, never reduced.
func ParseKey(b []byte) (*Key, error) {
	if len(b) != protocol.ScalarSize {
		return nil, fmt.Errorf("%w: length is not %d bytes", ErrInvalidKey, protocol.ScalarSize)
	}
	k := new(Key)
	if _, err := k.s.SetCanonicalBytes(b); err != nil {
		return nil, fmt.Errorf("%w: not below the group order", ErrInvalidKey)
	}
	if k.isZero() {
		return nil, fmt.Errorf("%w: zero scalar", ErrInvalidKey)
	}
	return k, nil
}

func (k *Key) isZero() bool {
	var zero ristretto255.Scalar
	return k.s.Equal(&zero) == 1
}

// Bytes returns the canonical 32-byte little-endian encoding of the scalar,
// which ParseKey accepts. It is the only way the scalar leaves a Key.
func (k *Key) Bytes() []byte { return k.s.Bytes() }

// Portable returns a Key with the same scalar whose batch methods use the
// portable group arithmetic even where BackendName is "avx512ifma": the
// results are the same, byte for byte, only slower. It exists to measure
// the portable path beside the fast one on one machine (the floor of
// blindjoin bench) and for tests; k itself is unchanged.
func (k *Key) Portable() *Key {
	p := *k
	p.portable = true
	return &p
}

// BatchBackend names the group arithmetic of k's batch methods:
// BackendName, or "portable" for a Key from Portable.
func (k *Key) BatchBackend() string {
	if k.portable {
		return backendPortable
	}
	return BackendName()
}

const redactedKey = "blind.Key(redacted)"

// String returns a fixed redaction, never the scalar. The redaction methods
// have value receivers so that they cover both Key and *Key.
func (Key) String() string { return redactedKey }

// GoString returns a fixed redaction, never the scalar.
func (Key) GoString() string { return redactedKey }

// Format writes a fixed redaction for every verb and flag.
func (Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redactedKey)) }

// LogValue keeps the scalar out of structured logs.
func (Key) LogValue() slog.Value { return slog.StringValue(redactedKey) }
