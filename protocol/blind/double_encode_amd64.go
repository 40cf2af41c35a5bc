//go:build amd64 && !purego

package blind

// doubleEncoder8 is doubleEncoder (double_encode.go) eight points at a
// time: the same formulas in the same order, on fe8 with the assembly's
// field operations, for the points the eight-lane multiplication leaves in
// extended8, which it encodes without converting them back to
// field.Element one coordinate at a time. The shared inversion is one
// eight-lane inversion: Montgomery's trick runs across the vectors of a
// group, lane by lane.
//
// Every secret-dependent choice (the rotation, the signs, the 4-torsion
// case) is a lane mask computed without branches and applied by
// feSelect8, as doubleEncoder does with field.Element.Select.
type doubleEncoder8 struct {
	e, f, g, h, eg, fh, den, acc [encodeGroup / 8]fe8
	zero                         [encodeGroup / 8]uint64 // lanes where efgh = 0
	pw                           [2]fe8                  // the inversion's exponentiation
	pwTmp                        [6]fe8
	inv, invI                    fe8
	s                            [8]fe8 // scratch
}

// Constants of the encoder in every lane.
var (
	zero8           fe8
	one8            = broadcast8(feOne)
	d8              = broadcast8(feD)
	sqrtM1x8        = broadcast8(feSqrtM1)
	invSqrtAMinusD8 = broadcast8(feInvSqrtAMinusD)
)

// encode sets out[i] to the encoding of 2*P, where P is lane i%8 of
// pts[i/8]. len(out) is at most encodeGroup; lanes past it are ignored
// (they may hold anything on the curve, the identity included). It runs in
// time independent of the points.
func (d *doubleEncoder8) encode(out []Element, pts []extended8) {
	m := (len(out) + 7) / 8
	if m == 0 {
		return
	}
	xx, yy, zz, dtt := &d.s[0], &d.s[1], &d.s[2], &d.s[3]
	for i := range m {
		p := &pts[i]
		feSquare8(xx, &p.X)
		feSquare8(yy, &p.Y)
		feSquare8(zz, &p.Z)
		feSquare8(dtt, &p.T)
		feMul8(dtt, dtt, &d8)
		feMul8(&d.e[i], &p.X, &p.Y)
		feAdd8(&d.e[i], &d.e[i], &d.e[i])
		feAdd8(&d.f[i], zz, dtt)
		feAdd8(&d.g[i], yy, xx)
		feSub8(&d.h[i], zz, dtt)
		feMul8(&d.eg[i], &d.e[i], &d.g[i])
		feMul8(&d.fh[i], &d.f[i], &d.h[i])
		feMul8(&d.den[i], &d.eg[i], &d.fh[i])
		// As in doubleEncoder: efgh is zero exactly in the 4-torsion
		// case, whose encoding is all zeros; invert 1 in its place.
		d.zero[i] = d.den[i].zeroMask()
		feSelect8(&d.den[i], &one8, &d.den[i], d.zero[i])
	}

	d.acc[0] = d.den[0]
	for i := 1; i < m; i++ {
		feMul8(&d.acc[i], &d.acc[i-1], &d.den[i])
	}
	d.invert(&d.inv, &d.acc[m-1])
	for i := m - 1; i >= 0; i-- {
		if i > 0 {
			feMul8(&d.invI, &d.inv, &d.acc[i-1])
			feMul8(&d.inv, &d.inv, &d.den[i])
		} else {
			d.invI = d.inv
		}
		d.finish(out[8*i:min(8*i+8, len(out))], i, &d.invI)
	}
}

// invert sets out = 1/x in every lane, as x^(p-2) = (x^((p-5)/8))^8 * x^3.
// out must not be x.
func (d *doubleEncoder8) invert(out, x *fe8) {
	d.pw[0], d.pw[1] = *x, one8
	fePow22523_16(&d.pw, &d.pw, &d.pwTmp)
	r := &d.pw[0]
	for range 3 {
		feSquare8(r, r)
	}
	feSquare8(out, x)
	feMul8(out, out, x)
	feMul8(out, out, r)
}

// finish encodes the doubles of vector i from its state and inv = 1/efgh,
// as doubleState.finish.
func (d *doubleEncoder8) finish(out []Element, i int, inv *fe8) {
	s := &d.s
	zInv, tInv, xy := &s[0], &s[1], &s[2]
	feMul8(zInv, &d.eg[i], inv)
	feMul8(tInv, &d.fh[i], inv)

	// Step 7: rotate where x*y is negative.
	feMul8(xy, &d.eg[i], zInv)
	rotate := xy.negativeMask()
	minusE, fi := &s[3], &s[4]
	feSub8(minusE, &zero8, &d.e[i])
	feMul8(fi, &d.f[i], &sqrtM1x8)
	e, g, h, magic := &s[5], &s[6], &s[7], &s[2]
	feSelect8(e, &d.g[i], &d.e[i], rotate)
	feSelect8(g, minusE, &d.g[i], rotate)
	feSelect8(h, fi, &d.h[i], rotate)
	feSelect8(magic, &sqrtM1x8, &invSqrtAMinusD8, rotate)

	// Step 9: the sign of x picks the sign of y.
	x, minusG := &s[3], &s[4]
	feMul8(x, h, e)
	feMul8(x, x, zInv)
	feSub8(minusG, &zero8, g)
	feSelect8(g, minusG, g, x.negativeMask())

	// Step 10: s = |(h - g) * magic * g / T|, zero in the 4-torsion case.
	sv, minusS := &s[0], &s[4]
	feSub8(sv, h, g)
	feMul8(sv, sv, magic)
	feMul8(sv, sv, g)
	feMul8(sv, sv, tInv)
	feSub8(minusS, &zero8, sv)
	feSelect8(sv, minusS, sv, sv.negativeMask())
	feSelect8(sv, &zero8, sv, d.zero[i])
	sv.encode(out)
}
