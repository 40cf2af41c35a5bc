package blind

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// extPoint is a point of edwards25519 in extended coordinates (x = X/Z,
// y = Y/Z, xy = T/Z), as the batch paths pass it from decoding or the map,
// through the multiplication, to the encoder.
//
// The batch paths keep their points in this form rather than in
// edwards25519.Point because the only way to build a Point from coordinates,
// SetExtendedCoordinates, checks that they lie on the curve: about 4% of a
// party's CPU, and more of CheckElements, spent re-checking coordinates that
// are on the curve by construction. Every extPoint the package makes comes
// from one of:
//   - decoder.finish, after the checks of RFC 9496 section 4.3.1 (see there
//     why they imply the curve equation);
//   - mapper.finish, MAP of RFC 9496 section 4.3.4, whose output is a point
//     of the curve for every input;
//   - add and the multiplications of the backends, complete formulas on
//     points of the curve;
//   - fromPoint, from an edwards25519.Point, on the curve by its own
//     invariant.
//
// So nothing here validates: decoder.finish is the validation of untrusted
// input, and an extPoint must never be filled from anything else.
type extPoint struct{ X, Y, Z, T field.Element }

// fe2D is 2d, the constant of the addition.
var fe2D = new(field.Element).Add(feD, feD)

// add sets p = q + r, with edwards25519's complete formulas for a = -1 in
// the same order (so the same coordinates as Point.Add): Hisil, Wong, Carter
// and Dawson's unified addition, "add-2008-hwcd-3" in the Explicit-Formulas
// Database. p may be q or r.
func (p *extPoint) add(q, r *extPoint) {
	var yPlusX, yMinusX, pp, mm, tt2d, zz2, tmp field.Element
	yPlusX.Add(&q.Y, &q.X)
	yMinusX.Subtract(&q.Y, &q.X)
	tmp.Add(&r.Y, &r.X)
	pp.Multiply(&yPlusX, &tmp)
	tmp.Subtract(&r.Y, &r.X)
	mm.Multiply(&yMinusX, &tmp)
	tmp.Multiply(&r.T, fe2D)
	tt2d.Multiply(&q.T, &tmp)
	zz2.Multiply(&q.Z, &r.Z)
	zz2.Add(&zz2, &zz2)

	var e, h, g, f field.Element
	e.Subtract(&pp, &mm)
	h.Add(&pp, &mm)
	g.Add(&zz2, &tt2d)
	f.Subtract(&zz2, &tt2d)
	p.X.Multiply(&e, &f)
	p.Y.Multiply(&h, &g)
	p.Z.Multiply(&g, &f)
	p.T.Multiply(&e, &h)
}

// fromPoint sets p to the coordinates of q.
func (p *extPoint) fromPoint(q *edwards25519.Point) {
	x, y, z, t := q.ExtendedCoordinates()
	p.X.Set(x)
	p.Y.Set(y)
	p.Z.Set(z)
	p.T.Set(t)
}

// toPoint sets q to p, for edwards25519's arithmetic. SetExtendedCoordinates
// checks the curve equation, which cannot fail on an extPoint (see the type);
// if it did, the arithmetic of this package would be broken, and going on
// would give wrong results.
func (p *extPoint) toPoint(q *edwards25519.Point) {
	if _, err := q.SetExtendedCoordinates(&p.X, &p.Y, &p.Z, &p.T); err != nil {
		panic("blind: a point left the curve")
	}
}
