package blind

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// groupBackend is the seam between the batch methods and the arithmetic
// that does almost all their work, on groups of up to encodeGroup elements
// (twice that for pow22523, two maps per hashed element). A value serves one
// goroutine and one scalar.
//
// The portable implementation is edwards25519's, one value at a time. On
// amd64 CPUs with AVX-512 IFMA, the assembly of ifma_amd64.s works on eight
// values at once (see the package doc); building with the purego tag leaves
// it out.
type groupBackend interface {
	// multiplyEncode sets out[i] to the encoding of 2*s*pts[i] for every i
	// (len(out) = len(pts), at most encodeGroup), the batched
	// double-and-encode of double_encode.go; pts may be overwritten.
	multiplyEncode(out []Element, pts []extPoint)
	// pow22523 sets xs[i] = xs[i]^((p-5)/8) for every i: the
	// exponentiation of the square roots in decoding and in the map.
	pow22523(xs []field.Element)
}

// portableBackend is edwards25519's constant-time arithmetic and
// doubleEncoder.
type portableBackend struct {
	s   *edwards25519.Scalar
	enc *doubleEncoder // allocated on first use: a decoding backend has none
}

func newPortableBackend(s *edwards25519.Scalar) *portableBackend { return &portableBackend{s: s} }

func (b *portableBackend) multiplyEncode(out []Element, pts []extPoint) {
	if b.enc == nil {
		b.enc = new(doubleEncoder)
	}
	b.multiply(pts)
	b.enc.encode(out, pts)
}

// multiply sets pts[i] = s * pts[i] for every i. It goes through an
// edwards25519.Point for ScalarMult: one check of the curve equation per
// point, in SetExtendedCoordinates, the one conversion edwards25519 offers.
func (b *portableBackend) multiply(pts []extPoint) {
	var p edwards25519.Point
	for i := range pts {
		pts[i].toPoint(&p)
		p.ScalarMult(b.s, &p)
		pts[i].fromPoint(&p)
	}
}

func (*portableBackend) pow22523(xs []field.Element) {
	for i := range xs {
		xs[i].Pow22523(&xs[i])
	}
}

// Names of the group arithmetic, as BackendName returns them.
const (
	backendPortable = "portable"
	backendIFMA     = "avx512ifma"
)
