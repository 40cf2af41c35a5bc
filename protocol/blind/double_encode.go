package blind

import "filippo.io/edwards25519/field"

// encodeGroup is the most points doubleEncoder encodes with one inversion:
// past 64 the inversion's share (about 3 us over the group) no longer
// matters, and the scratch stays within a few pages.
const encodeGroup = 64

// doubleEncoder computes the encodings of 2*P for a group of points with a
// single field inversion, where encoding one point alone costs an inverse
// square root, about ten times the rest of the work.
//
// It works because the encoding of a doubled point needs no square root:
// writing 2P = (e/f, g/h), with e = 2XY, f = Z^2 + dT^2, g = Y^2 + X^2 and
// h = Z^2 - dT^2 (the doubling formulas for a = -1), every square root in
// the encoding of RFC 9496 section 4.3.2 becomes a rational function of e,
// f, g and h, and the only division left is by efgh. This is the "batched
// double-and-encode" of the Ristretto notes (ristretto.group, section 4.10),
// as curve25519-dalek's double_and_compress_batch implements it. The batch
// paths multiply by k/2 and encode the double, which is the encoding of k*P.
//
// A value serves one goroutine.
type doubleEncoder struct {
	st  [encodeGroup]doubleState
	acc [encodeGroup]field.Element // prefix products of the denominators
}

type doubleState struct {
	e, f, g, h, eg, fh field.Element
	den                field.Element // efgh, or 1 where efgh = 0
	zero               int           // 1 where efgh = 0
}

// encode sets out[i] to the encoding of 2*pts[i]. len(out) must equal
// len(pts), at most encodeGroup. It runs in time independent of the points.
func (d *doubleEncoder) encode(out []Element, pts []extPoint) {
	n := len(pts)
	if n == 0 {
		return
	}
	var zero field.Element
	for i := range pts {
		s := &d.st[i]
		x, y, z, t := &pts[i].X, &pts[i].Y, &pts[i].Z, &pts[i].T
		var xx, yy, zz, dtt field.Element
		xx.Square(x)
		yy.Square(y)
		zz.Square(z)
		dtt.Square(t)
		dtt.Multiply(&dtt, feD)
		s.e.Multiply(x, y)
		s.e.Add(&s.e, &s.e)
		s.f.Add(&zz, &dtt)
		s.g.Add(&yy, &xx)
		s.h.Subtract(&zz, &dtt)
		s.eg.Multiply(&s.e, &s.g)
		s.fh.Multiply(&s.f, &s.h)
		s.den.Multiply(&s.eg, &s.fh)
		// efgh is zero exactly when 2P lies in the 4-torsion, whose
		// encoding is all zeros: f and h never vanish (d and -d are not
		// squares), e or g does only there. Inverting 1 in its place keeps
		// the shared inversion valid for the other points.
		s.zero = s.den.Equal(&zero)
		s.den.Select(feOne, &s.den, s.zero)
	}

	// Montgomery's trick: one inversion of the product of all the
	// denominators, then two multiplications per point to peel them apart.
	d.acc[0].Set(&d.st[0].den)
	for i := 1; i < n; i++ {
		d.acc[i].Multiply(&d.acc[i-1], &d.st[i].den)
	}
	var inv, invI field.Element
	inv.Invert(&d.acc[n-1])
	for i := n - 1; i >= 0; i-- {
		if i > 0 {
			invI.Multiply(&inv, &d.acc[i-1])
			inv.Multiply(&inv, &d.st[i].den)
		} else {
			invI.Set(&inv)
		}
		d.st[i].finish(&out[i], &invI)
	}
}

// finish encodes 2P from its state and inv = 1/efgh.
func (s *doubleState) finish(out *Element, inv *field.Element) {
	// 2P in extended coordinates is (eh : fg : fh : eg), so these are
	// 1/Z and 1/T of the doubled point.
	var zInv, tInv field.Element
	zInv.Multiply(&s.eg, inv)
	tInv.Multiply(&s.fh, inv)

	// Step 7 of the encoding: if x*y is negative, rotate by the 4-torsion
	// point (i, 0), which swaps the roles of the coordinates and takes the
	// other constant.
	var xy field.Element
	xy.Multiply(&s.eg, &zInv)
	rotate := xy.IsNegative()
	var e, g, h, magic, minusE, fi field.Element
	minusE.Negate(&s.e)
	fi.Multiply(&s.f, feSqrtM1)
	e.Select(&s.g, &s.e, rotate)
	g.Select(&minusE, &s.g, rotate)
	h.Select(&fi, &s.h, rotate)
	magic.Select(feSqrtM1, feInvSqrtAMinusD, rotate)

	// Step 9: the sign of x picks the sign of y.
	var x field.Element
	x.Multiply(&h, &e)
	x.Multiply(&x, &zInv)
	var minusG field.Element
	minusG.Negate(&g)
	g.Select(&minusG, &g, x.IsNegative())

	// Step 10: s = |(Z - Y) * D|, here (h - g) * magic * g / T.
	var sv field.Element
	sv.Subtract(&h, &g)
	sv.Multiply(&sv, &magic)
	sv.Multiply(&sv, &g)
	sv.Multiply(&sv, &tInv)
	sv.Absolute(&sv)
	var zero field.Element
	sv.Select(&zero, &sv, s.zero)
	copy(out[:], sv.Bytes())
}
