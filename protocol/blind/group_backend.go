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
	// multiply sets pts[i] = s * pts[i] for every i.
	multiply(pts []extPoint)
	// pow22523 sets xs[i] = xs[i]^((p-5)/8) for every i: the
	// exponentiation of the square roots in decoding and in the map.
	pow22523(xs []field.Element)
}

// portableBackend is edwards25519's constant-time arithmetic.
type portableBackend struct{ s *edwards25519.Scalar }

// multiply goes through an edwards25519.Point for ScalarMult: one check of
// the curve equation per point, in SetExtendedCoordinates, the one
// conversion edwards25519 offers.
func (b portableBackend) multiply(pts []extPoint) {
	var p edwards25519.Point
	for i := range pts {
		pts[i].toPoint(&p)
		p.ScalarMult(b.s, &p)
		pts[i].fromPoint(&p)
	}
}

func (portableBackend) pow22523(xs []field.Element) {
	for i := range xs {
		xs[i].Pow22523(&xs[i])
	}
}

// Names of the group arithmetic, as BackendName returns them.
const (
	backendPortable = "portable"
	backendIFMA     = "avx512ifma"
)
