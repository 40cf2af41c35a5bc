package blind

import (
	"encoding/hex"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// The batch paths need the Edwards point behind an element, which gtank does
// not expose: they decode and map with the functions below, written from
// RFC 9496 section 4.3 on filippo.io/edwards25519 (the field gtank itself
// uses). The tests hold them to gtank's results byte for byte.

// Constants of RFC 9496 section 4.1, as little-endian field elements. The
// tests check each against its definition.
var (
	feSqrtM1         = feConst("b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b")
	feD              = feConst("a3785913ca4deb75abd841414d0a700098e879777940c78c73fe6f2bee6c0352")
	feSqrtADMinusOne = feConst("1b2e7b49a0f6977ebd54781b0c8e9daffdd1f531c9fc3c0fac48832bbf316937")
	feInvSqrtAMinusD = feConst("ea405d80aafdc899be72415a17162f9d40d801fe917bc216a2fcafcf05896c78")
	feOneMinusDSQ    = feConst("76c15f94c1097ce20f355ecd38a1812ce4df70beddab9499d7e0b3b2a8729002")
	feDMinusOneSQ    = feConst("204ded44aa5aad3199191eb02c4a9ed2eb4e9b522fd3dc4c41226cf67ab36859")
	feOne            = new(field.Element).One()
	feMinusOne       = new(field.Element).Negate(feOne)
)

func feConst(h string) *field.Element {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic("blind: bad field constant")
	}
	fe, err := new(field.Element).SetBytes(b)
	if err != nil {
		panic("blind: bad field constant")
	}
	return fe
}

// decodePoint sets p to the point of the canonical encoding e and reports
// whether e is one (RFC 9496 section 4.3.1). On false p is unspecified. Like
// gtank's decoder, it accepts the identity; callers reject it separately.
func decodePoint(p *edwards25519.Point, e *Element) bool {
	var s field.Element
	if _, err := s.SetBytes(e[:]); err != nil {
		return false
	}
	// Canonical: below p (re-encoding gives the same bytes, which also
	// rejects the top bit that SetBytes ignores) and non-negative.
	canonical := [32]byte(s.Bytes()) == *e && s.IsNegative() == 0

	var ss, u1, u2, u2sq, v, t field.Element
	ss.Square(&s)
	u1.Subtract(feOne, &ss)
	u2.Add(feOne, &ss)
	u2sq.Square(&u2)
	v.Square(&u1)
	v.Multiply(&v, feD)
	v.Negate(&v)
	v.Subtract(&v, &u2sq) // -(D * u1^2) - u2^2

	var invsqrt, denX, denY, x, y field.Element
	t.Multiply(&v, &u2sq)
	_, wasSquare := invsqrt.SqrtRatio(feOne, &t)
	denX.Multiply(&invsqrt, &u2)
	denY.Multiply(&invsqrt, &denX)
	denY.Multiply(&denY, &v)
	x.Multiply(&s, &denX)
	x.Add(&x, &x)
	x.Absolute(&x)
	y.Multiply(&u1, &denY)
	t.Multiply(&x, &y)

	var zero field.Element
	if !canonical || wasSquare == 0 || t.IsNegative() == 1 || y.Equal(&zero) == 1 {
		return false
	}
	_, err := p.SetExtendedCoordinates(&x, &y, feOne, &t)
	return err == nil
}

// mapToPoint sets p to MAP(t) of RFC 9496 section 4.3.4, t being b (32
// bytes) with its top bit cleared, reduced modulo p.
func mapToPoint(p *edwards25519.Point, b []byte) {
	var t field.Element
	_, _ = t.SetBytes(b) // fails only on a length other than 32

	var r, u, v, tmp field.Element
	r.Square(&t)
	r.Multiply(&r, feSqrtM1)
	u.Add(&r, feOne)
	u.Multiply(&u, feOneMinusDSQ)
	v.Multiply(&r, feD)
	v.Subtract(feMinusOne, &v)
	tmp.Add(&r, feD)
	v.Multiply(&v, &tmp) // (-1 - r*D) * (r + D)

	var s, sPrime, c field.Element
	_, wasSquare := s.SqrtRatio(&u, &v)
	sPrime.Multiply(&s, &t)
	sPrime.Absolute(&sPrime)
	sPrime.Negate(&sPrime)
	s.Select(&s, &sPrime, wasSquare)
	c.Select(feMinusOne, &r, wasSquare)

	var n, w0, w1, w2, w3 field.Element
	n.Subtract(&r, feOne)
	n.Multiply(&n, &c)
	n.Multiply(&n, feDMinusOneSQ)
	n.Subtract(&n, &v)
	w0.Multiply(&s, &v)
	w0.Add(&w0, &w0)
	w1.Multiply(&n, feSqrtADMinusOne)
	tmp.Square(&s)
	w2.Subtract(feOne, &tmp)
	w3.Add(feOne, &tmp)

	var x, y, z, tt field.Element
	x.Multiply(&w0, &w3)
	y.Multiply(&w2, &w1)
	z.Multiply(&w1, &w3)
	tt.Multiply(&w0, &w2)
	// A MAP output is on the curve by construction, so this cannot fail.
	_, _ = p.SetExtendedCoordinates(&x, &y, &z, &tt)
}

// hashToPoint sets p to hash_to_ristretto255(msg) for x's DST: 64 bytes of
// expand_message_xmd (into u), each half mapped, the two points added
// (RFC 9380 Appendix B, RFC 9496 section 4.3.4).
func hashToPoint(p *edwards25519.Point, x *xmd, u *[64]byte, msg []byte) {
	var q edwards25519.Point
	x.expand(u[:], msg)
	mapToPoint(p, u[:32])
	mapToPoint(&q, u[32:])
	p.Add(p, &q)
}
