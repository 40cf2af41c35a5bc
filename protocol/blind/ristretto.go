package blind

import (
	"encoding/hex"

	"filippo.io/edwards25519/field"
)

// The batch paths need the Edwards point behind an element, which gtank does
// not expose: they decode and map with the functions below, written from
// RFC 9496 section 4.3 on filippo.io/edwards25519 (the field gtank itself
// uses), into an extPoint. The tests hold them to gtank's results byte for
// byte.

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

// The square roots of decoding and of the map dominate their cost, and
// almost all of a square root is one exponentiation, x^((p-5)/8). So both
// operations come in two halves around it: start computes the value to
// raise, the caller raises it (a whole group at once, with
// groupBackend.pow22523), and finish completes the operation from the power.

// sqrtRatio is SQRT_RATIO_M1(u, v) of RFC 9496 section 4.2.
type sqrtRatio struct {
	u, v, uv3 field.Element
}

// start returns into w the value to raise to (p-5)/8: u * v^7.
func (q *sqrtRatio) start(w, u, v *field.Element) {
	var v2, v4 field.Element
	q.u.Set(u)
	q.v.Set(v)
	v2.Square(v)
	q.uv3.Multiply(&v2, v)
	q.uv3.Multiply(&q.uv3, u)
	v4.Square(&v2)
	w.Multiply(&q.uv3, &v4)
}

// finish sets r to the non-negative square root of u/v, or of SQRT_M1*u/v
// when u/v is not a square, given pw = (u * v^7)^((p-5)/8), and returns 1
// if u/v was a square (0 included), else 0.
func (q *sqrtRatio) finish(r, pw *field.Element) int {
	var check, uNeg, uNegI, rPrime field.Element
	r.Multiply(&q.uv3, pw)
	check.Square(r)
	check.Multiply(&check, &q.v)
	uNeg.Negate(&q.u)
	uNegI.Multiply(&uNeg, feSqrtM1)
	correct := check.Equal(&q.u)
	flipped := check.Equal(&uNeg)
	flippedI := check.Equal(&uNegI)
	rPrime.Multiply(r, feSqrtM1)
	r.Select(&rPrime, r, flipped|flippedI)
	r.Absolute(r)
	return correct | flipped
}

// decoder is the Decode operation of RFC 9496 section 4.3.1, in halves.
type decoder struct {
	s, u1, u2, v field.Element
	canonical    bool
	sqrt         sqrtRatio
}

// start reads the encoding e and returns into w the value to raise.
func (d *decoder) start(w *field.Element, e *Element) {
	_, _ = d.s.SetBytes(e[:]) // fails only on a length other than 32
	// Canonical: below p (re-encoding gives the same bytes, which also
	// rejects the top bit that SetBytes ignores) and non-negative.
	d.canonical = [32]byte(d.s.Bytes()) == *e && d.s.IsNegative() == 0

	var ss, u2sq, t field.Element
	ss.Square(&d.s)
	d.u1.Subtract(feOne, &ss)
	d.u2.Add(feOne, &ss)
	u2sq.Square(&d.u2)
	d.v.Square(&d.u1)
	d.v.Multiply(&d.v, feD)
	d.v.Negate(&d.v)
	d.v.Subtract(&d.v, &u2sq) // -(D * u1^2) - u2^2
	t.Multiply(&d.v, &u2sq)
	d.sqrt.start(w, feOne, &t)
}

// finish sets p to the decoded point, given the power of start's value,
// and reports whether the encoding was valid; on false p is unspecified.
// Like gtank's decoder, it accepts the identity; callers reject it
// separately.
//
// The four checks of the RFC are the whole validation of an untrusted
// encoding. The curve equation, which edwards25519's SetExtendedCoordinates
// would check again (the reason p is an extPoint), holds after them for
// every s: wasSquare = 1 means v*u2^2 is not zero and invsqrt^2*v*u2^2 = 1
// (SQRT_RATIO_M1(1, 0) reports not square), so x^2 = 4s^2/v and
// y = u1/u2. Multiplying -x^2 + y^2 - 1 - d*x^2*y^2 by v*u2^2 and putting
// in v = -d*u1^2 - u2^2 gives (u2^2 + d*u1^2) * (u2^2 - u1^2 - 4s^2), and
// u2^2 - u1^2 = (1+s^2)^2 - (1-s^2)^2 = 4s^2. With Z = 1 and T = x*y, that
// is all of edwards25519's isOnCurve. TestDecodeAndMapMatchGtank decodes
// through edwards25519.Point, so a slip here would show there.
func (d *decoder) finish(p *extPoint, pw *field.Element) bool {
	var invsqrt, denX, denY, x, y, t field.Element
	wasSquare := d.sqrt.finish(&invsqrt, pw)
	denX.Multiply(&invsqrt, &d.u2)
	denY.Multiply(&invsqrt, &denX)
	denY.Multiply(&denY, &d.v)
	x.Multiply(&d.s, &denX)
	x.Add(&x, &x)
	x.Absolute(&x)
	y.Multiply(&d.u1, &denY)
	t.Multiply(&x, &y)

	var zero field.Element
	if !d.canonical || wasSquare == 0 || t.IsNegative() == 1 || y.Equal(&zero) == 1 {
		return false
	}
	p.X.Set(&x)
	p.Y.Set(&y)
	p.Z.One()
	p.T.Set(&t)
	return true
}

// mapper is MAP(t) of RFC 9496 section 4.3.4, in halves.
type mapper struct {
	t, r, v field.Element
	sqrt    sqrtRatio
}

// start takes t from b (32 bytes, top bit cleared, reduced modulo p) and
// returns into w the value to raise.
func (m *mapper) start(w *field.Element, b []byte) {
	_, _ = m.t.SetBytes(b) // fails only on a length other than 32
	var u, tmp field.Element
	m.r.Square(&m.t)
	m.r.Multiply(&m.r, feSqrtM1)
	u.Add(&m.r, feOne)
	u.Multiply(&u, feOneMinusDSQ)
	m.v.Multiply(&m.r, feD)
	m.v.Subtract(feMinusOne, &m.v)
	tmp.Add(&m.r, feD)
	m.v.Multiply(&m.v, &tmp) // (-1 - r*D) * (r + D)
	m.sqrt.start(w, &u, &m.v)
}

// finish sets p to MAP(t), given the power of start's value. MAP's output
// is a point of the curve for every t, so p is one (see extPoint).
func (m *mapper) finish(p *extPoint, pw *field.Element) {
	var s, sPrime, c field.Element
	wasSquare := m.sqrt.finish(&s, pw)
	sPrime.Multiply(&s, &m.t)
	sPrime.Absolute(&sPrime)
	sPrime.Negate(&sPrime)
	s.Select(&s, &sPrime, wasSquare)
	c.Select(feMinusOne, &m.r, wasSquare)

	var n, w0, w1, w2, w3, tmp field.Element
	n.Subtract(&m.r, feOne)
	n.Multiply(&n, &c)
	n.Multiply(&n, feDMinusOneSQ)
	n.Subtract(&n, &m.v)
	w0.Multiply(&s, &m.v)
	w0.Add(&w0, &w0)
	w1.Multiply(&n, feSqrtADMinusOne)
	tmp.Square(&s)
	w2.Subtract(feOne, &tmp)
	w3.Add(feOne, &tmp)

	p.X.Multiply(&w0, &w3)
	p.Y.Multiply(&w2, &w1)
	p.Z.Multiply(&w1, &w3)
	p.T.Multiply(&w0, &w2)
}
