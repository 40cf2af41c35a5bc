//go:build amd64 && !purego

package blind

import "filippo.io/edwards25519/field"

// decoder8 is decoder (ristretto.go), Decode of RFC 9496 section 4.3.1, on
// eight lanes: the same formulas in the same order on fe8, in two halves
// around the exponentiation, for the eight-lane backend's decode. Its
// points go to the multiplication in extended8, without a conversion.
//
// A received encoding is public, and so is whether it decodes; the
// decoded point is multiplied by the key, and the lanes are computed the
// same way whatever their validity, with the root's choices as lane masks
// (fe8.zeroMask, negativeMask) applied by feSelect8.
type decoder8 struct {
	s, u1, u2, v, tv, uv3 fe8 // tv is v*u2^2, the v of SQRT_RATIO_M1(1, tv)
}

// minusSqrtM1x8 is -SQRT_M1 in every lane. Like every constant of the
// eight-lane code it is built in Go: package initialization must not run
// the assembly, which a CPU without IFMA cannot execute.
var minusSqrtM1x8 = broadcast8(new(field.Element).Negate(feSqrtM1))

// start computes u1, u2 and v of Decode from s (set by the caller) and
// sets w to the value SQRT_RATIO_M1(1, v*u2^2) raises to (p-5)/8.
func (d *decoder8) start(w *fe8, s *[8]fe8) {
	ss, u2sq := &s[0], &s[1]
	feSquare8(ss, &d.s)
	feSub8(&d.u1, &one8, ss)
	feAdd8(&d.u2, &one8, ss)
	feSquare8(u2sq, &d.u2)
	feSquare8(&d.v, &d.u1)
	feMul8(&d.v, &d.v, &d8)
	feSub8(&d.v, &zero8, &d.v)
	feSub8(&d.v, &d.v, u2sq) // -(D * u1^2) - u2^2
	feMul8(&d.tv, &d.v, u2sq)

	v2 := &s[2]
	feSquare8(v2, &d.tv)
	feMul8(&d.uv3, v2, &d.tv) // u = 1
	feSquare8(v2, v2)
	feMul8(w, &d.uv3, v2)
}

// finish sets p to the decoded point in every lane, given pw =
// w^((p-5)/8), and returns the mask of the lanes whose encoding passes the
// checks of the RFC after the square root (was square, t non-negative, y
// non-zero); canonicity is the caller's check, on the bytes.
func (d *decoder8) finish(p *extended8, pw *fe8, s *[8]fe8) uint64 {
	r := &s[0]
	wasSquare := sqrtRatioFinish8(r, &one8, &minusOne8, &minusSqrtM1x8, &d.tv, &d.uv3, pw, &s[1], &s[2], &s[3])

	denX, denY := &s[1], &s[2]
	feMul8(denX, r, &d.u2)
	feMul8(denY, r, denX)
	feMul8(denY, denY, &d.v)
	feMul8(&p.X, &d.s, denX)
	feAdd8(&p.X, &p.X, &p.X)
	abs8(&p.X, &s[3])
	feMul8(&p.Y, &d.u1, denY)
	p.Z = one8
	feMul8(&p.T, &p.X, &p.Y)
	return wasSquare &^ p.T.negativeMask() &^ p.Y.zeroMask()
}
