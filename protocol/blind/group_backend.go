package blind

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// groupBackend is the seam between the batch methods and the arithmetic
// that does almost all their work, on groups of up to encodeGroup elements.
// A value serves one goroutine and one scalar.
//
// The portable implementation is edwards25519's, one value at a time. On
// amd64 CPUs with AVX-512 IFMA, the assembly of ifma_amd64.s works on eight
// values at once (see the package doc); building with the purego tag leaves
// it out.
type groupBackend interface {
	// blindGroup sets out[i] to the encoding of 2*s*(MAP(uniform[i][:32])
	// + MAP(uniform[i][32:])) for every i (len(out) = len(uniform), at most
	// encodeGroup): with s = k/2, k * hash_to_ristretto255 of the message
	// whose expand_message_xmd output is uniform[i].
	blindGroup(out []Element, uniform [][64]byte)
	// decode decodes every in[i] as DecodeElement does, the identity
	// included (callers reject it separately), keeping the points for
	// multiplyEncodeDecoded, and returns the mask of the elements that
	// decoded: bit i for in[i].
	decode(in []Element) uint64
	// multiplyEncodeDecoded sets out[i] to the encoding of 2*s*P_i for the
	// points P_i of the last decode (out as long as its input), which must
	// all have decoded: the batched double-and-encode of double_encode.go.
	multiplyEncodeDecoded(out []Element)
}

// portableBackend is edwards25519's constant-time arithmetic, the map of
// ristretto.go and doubleEncoder.
type portableBackend struct {
	s *edwards25519.Scalar
	*portableScratch
}

// portableScratch is allocated on first use.
type portableScratch struct {
	enc     doubleEncoder
	maps    [2 * encodeGroup]mapper
	decs    [encodeGroup]decoder
	pows    [2 * encodeGroup]field.Element // the values the square roots raise
	pts     [encodeGroup]extPoint
	decoded int // elements of the last decode, their points in pts
}

func newPortableBackend(s *edwards25519.Scalar) *portableBackend { return &portableBackend{s: s} }

func (b *portableBackend) scratch() *portableScratch {
	if b.portableScratch == nil {
		b.portableScratch = new(portableScratch)
	}
	return b.portableScratch
}

// blindGroup maps both halves of every uniform string (the square roots of
// the whole group computed together) and adds the two points.
func (b *portableBackend) blindGroup(out []Element, uniform [][64]byte) {
	sc := b.scratch()
	n := len(uniform)
	for i := range uniform {
		sc.maps[2*i].start(&sc.pows[2*i], uniform[i][:32])
		sc.maps[2*i+1].start(&sc.pows[2*i+1], uniform[i][32:])
	}
	b.pow22523(sc.pows[:2*n])
	pts := sc.pts[:n]
	var q extPoint
	for i := range pts {
		sc.maps[2*i].finish(&pts[i], &sc.pows[2*i])
		sc.maps[2*i+1].finish(&q, &sc.pows[2*i+1])
		pts[i].add(&pts[i], &q)
	}
	b.multiplyEncode(out, pts)
}

// decode computes the square roots of the whole group together.
func (b *portableBackend) decode(in []Element) uint64 {
	sc := b.scratch()
	for i := range in {
		sc.decs[i].start(&sc.pows[i], &in[i])
	}
	b.pow22523(sc.pows[:len(in)])
	var valid uint64
	for i := range in {
		if sc.decs[i].finish(&sc.pts[i], &sc.pows[i]) {
			valid |= 1 << i // validity is public: the branch leaks nothing
		}
	}
	sc.decoded = len(in)
	return valid
}

func (b *portableBackend) multiplyEncodeDecoded(out []Element) {
	sc := b.scratch()
	b.multiplyEncode(out[:sc.decoded], sc.pts[:sc.decoded])
}

// multiplyEncode sets out[i] to the encoding of 2*s*pts[i] for every i;
// pts is overwritten.
func (b *portableBackend) multiplyEncode(out []Element, pts []extPoint) {
	b.multiply(pts)
	b.scratch().enc.encode(out, pts)
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

// pow22523 sets xs[i] = xs[i]^((p-5)/8) for every i: the exponentiation of
// the square roots in decoding and in the map.
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
