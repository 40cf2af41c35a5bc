package blind

import "filippo.io/edwards25519"

// groupMultiplier is the seam between the batch methods and the arithmetic
// that does almost all their work: multiplying a group of up to encodeGroup
// points by the same scalar, k/2. A value serves one goroutine.
//
// The portable implementation is edwards25519's constant-time ScalarMult,
// one point at a time. On amd64 CPUs with AVX-512 IFMA, the eight-lane
// assembly of ifma_amd64.s multiplies eight points at once (see the package
// doc); building with the purego tag leaves it out.
type groupMultiplier interface {
	// multiply sets pts[i] = s * pts[i] for every i.
	multiply(pts []edwards25519.Point)
}

// portableMultiplier multiplies with edwards25519.
type portableMultiplier struct{ s *edwards25519.Scalar }

func (m portableMultiplier) multiply(pts []edwards25519.Point) {
	for i := range pts {
		pts[i].ScalarMult(m.s, &pts[i])
	}
}

// Names of the group arithmetic, as BackendName returns them.
const (
	backendPortable = "portable"
	backendIFMA     = "avx512ifma"
)
