//go:build amd64 && !purego

package blind

// mapper8 is mapper (ristretto.go), MAP of RFC 9496 section 4.3.4, on eight
// lanes: the same formulas in the same order on fe8, in two halves around
// the exponentiation, for the eight-lane backend's blindGroup. Its points
// go to the multiplication in extended8, without a conversion.
//
// The map's choices (which square root SQRT_RATIO_M1 found, the signs) are
// lane masks computed without branches (fe8.zeroMask, negativeMask) and
// applied by feSelect8, as mapper does with field.Element.Select.
type mapper8 struct {
	t, r, u, v, uv3 fe8
}

// Constants of the map in every lane.
var (
	minusOne8       = broadcast8(feMinusOne)
	oneMinusDSQ8    = broadcast8(feOneMinusDSQ)
	dMinusOneSQ8    = broadcast8(feDMinusOneSQ)
	sqrtADMinusOne8 = broadcast8(feSqrtADMinusOne)
)

// start computes r and v of MAP from t (set by the caller) and sets w to
// the value SQRT_RATIO_M1(u, v) raises to (p-5)/8, u * v^7.
func (m *mapper8) start(w *fe8, s *[8]fe8) {
	feSquare8(&m.r, &m.t)
	feMul8(&m.r, &m.r, &sqrtM1x8)
	feAdd8(&m.u, &m.r, &one8)
	feMul8(&m.u, &m.u, &oneMinusDSQ8)
	a, c := &s[0], &s[1]
	feMul8(a, &m.r, &d8)
	feSub8(a, &minusOne8, a)
	feAdd8(c, &m.r, &d8)
	feMul8(&m.v, a, c) // (-1 - r*D) * (r + D)

	v2 := &s[2]
	feSquare8(v2, &m.v)
	feMul8(&m.uv3, v2, &m.v)
	feMul8(&m.uv3, &m.uv3, &m.u)
	feSquare8(v2, v2)
	feMul8(w, &m.uv3, v2)
}

// finish sets p to MAP(t) in every lane, given pw = w^((p-5)/8).
func (m *mapper8) finish(p *extended8, pw *fe8, s *[8]fe8) {
	r, uNeg, uNegI := &s[0], &s[2], &s[3]
	feSub8(uNeg, &zero8, &m.u)
	feMul8(uNegI, uNeg, &sqrtM1x8)
	wasSquare := sqrtRatioFinish8(r, &m.u, uNeg, uNegI, &m.v, &m.uv3, pw, &s[1], &s[4], &s[5])

	// MAP, as mapper.finish; r is s of the RFC.
	sPrime, c, n := &s[1], &s[2], &s[3]
	feMul8(sPrime, r, &m.t)
	abs8(sPrime, &s[5])
	feSub8(sPrime, &zero8, sPrime)
	feSelect8(r, r, sPrime, wasSquare)
	feSelect8(c, &minusOne8, &m.r, wasSquare)
	feSub8(n, &m.r, &one8)
	feMul8(n, n, c)
	feMul8(n, n, &dMinusOneSQ8)
	feSub8(n, n, &m.v)

	w0, w1, sq, w2, w3 := &s[1], &s[2], &s[3], &s[4], &s[5]
	feMul8(w0, r, &m.v)
	feAdd8(w0, w0, w0)
	feMul8(w1, n, &sqrtADMinusOne8)
	feSquare8(sq, r)
	feSub8(w2, &one8, sq)
	feAdd8(w3, &one8, sq)
	feMul8(&p.X, w0, w3)
	feMul8(&p.Y, w2, w1)
	feMul8(&p.Z, w1, w3)
	feMul8(&p.T, w0, w2)
}

// sqrtRatioFinish8 is the end of SQRT_RATIO_M1(u, v) (RFC 9496 section
// 4.2, as sqrtRatio.finish) in every lane, shared by the map and the
// decoding: given uv3 = u*v^3, pw = (u*v^7)^((p-5)/8), uNeg = -u and
// uNegI = -u*SQRT_M1, it sets r to the non-negative root and returns the
// mask of the lanes where u/v was square. Which root is found is a lane
// mask, applied without a branch. check, diff and neg are scratch.
func sqrtRatioFinish8(r, u, uNeg, uNegI, v, uv3, pw, check, diff, neg *fe8) uint64 {
	feMul8(r, uv3, pw)
	feSquare8(check, r)
	feMul8(check, check, v)
	feSub8(diff, check, u)
	correct := diff.zeroMask()
	feSub8(diff, check, uNeg)
	flipped := diff.zeroMask()
	feSub8(diff, check, uNegI)
	flippedI := diff.zeroMask()
	rPrime := diff
	feMul8(rPrime, r, &sqrtM1x8)
	feSelect8(r, rPrime, r, flipped|flippedI)
	abs8(r, neg)
	return correct | flipped
}

// abs8 sets x to |x| in every lane (the non-negative of x and -x); neg is
// scratch.
func abs8(x, neg *fe8) {
	feSub8(neg, &zero8, x)
	feSelect8(x, neg, x, x.negativeMask())
}
