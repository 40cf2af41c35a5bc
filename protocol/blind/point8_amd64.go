//go:build amd64 && !purego

package blind

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// Eight points, one per lane, in the coordinate systems of
// filippo.io/edwards25519 (see internal/asmgen for the formulas).
type (
	// completed8 is (X:Y:Z:T) with x = X/Z and y = Y/T.
	completed8 struct{ X, Y, Z, T fe8 }
	// extended8 is (X:Y:Z:T) with x = X/Z, y = Y/Z and xy = T/Z.
	extended8 struct{ X, Y, Z, T fe8 }
	// cached8 is (Y+X, Y-X, Z, 2dT) of an extended point.
	cached8 struct{ YplusX, YminusX, Z, T2d fe8 }
)

// The point operations of ifma_amd64.s.

// pointDouble8 sets out = 2*in; out may be in.
//
//go:noescape
func pointDouble8(out, in *completed8, tmp *[8]fe8)

// toExtended8 converts in; out and in must not overlap.
//
//go:noescape
func toExtended8(out *extended8, in *completed8)

// addCached8 sets out = p + q.
//
//go:noescape
func addCached8(out *completed8, p *extended8, q *cached8, tmp *[8]fe8)

// toCached8 converts p; d2 holds 2d in every lane.
//
//go:noescape
func toCached8(out *cached8, p *extended8, d2 *fe8)

// selectCached8 sets out = digit * P, where table[j] = (j+1) * P and
// -8 <= digit <= 8, reading every entry of the table.
//
//go:noescape
func selectCached8(out *cached8, table *[8]cached8, digit int64)

// d2x8 is 2d in every lane.
var d2x8 = broadcast8(fe2D)

// broadcast8 returns x in every lane.
func broadcast8(x *field.Element) (v fe8) {
	for j := range 8 {
		v.setLane(j, x)
	}
	return v
}

// identity8 is the identity in every lane, in extended coordinates.
var identity8 = func() (v extended8) {
	for j := range 8 {
		v.Y.setLane(j, feOne)
		v.Z.setLane(j, feOne)
	}
	return v
}()

// digits16 is a scalar as 64 signed radix-16 digits, least significant
// first, each in [-8, 8]: the only form in which the key reaches the
// eight-lane multiplication.
type digits16 [64]int8

// setScalar computes the digits of s without branches, as edwards25519 does:
// nibbles, then a carry that moves each digit into [-8, 8).
func (d *digits16) setScalar(s *edwards25519.Scalar) {
	b := s.Bytes()
	for i := range 32 {
		d[2*i] = int8(b[i] & 15)
		d[2*i+1] = int8(b[i] >> 4)
	}
	for i := range 63 {
		carry := (d[i] + 8) >> 4
		d[i] -= carry << 4
		d[i+1] += carry
	}
}

// mult8 is the scratch of one eight-lane scalar multiplication, about 23 KB.
type mult8 struct {
	table [8]cached8
	acc   completed8
	ext   extended8
	q     cached8
	tmp   [8]fe8
}

// mult8Rounds runs the 63 rounds of scalarMult on m.acc, for digits 62
// down to 0, in one call: per round four doublings of m.acc, its conversion
// into m.ext, the selection of the digit's entry of m.table into m.q, and
// its addition into m.acc. The assembly reads m at fixed offsets
// (TestMult8Layout).
//
//go:noescape
func mult8Rounds(m *mult8, digits *digits16)

// scalarMult sets out = s*p in every lane, s given by its digits: 63 rounds
// of four doublings and one addition of a table entry, as edwards25519's
// ScalarMult, with the same operations in every lane. out may be p: p is
// read only while the table is built.
func (m *mult8) scalarMult(out, p *extended8, s *digits16) {
	toCached8(&m.table[0], p, &d2x8)
	for j := 1; j < 8; j++ {
		addCached8(&m.acc, p, &m.table[j-1], &m.tmp)
		toExtended8(&m.ext, &m.acc)
		toCached8(&m.table[j], &m.ext, &d2x8)
	}
	selectCached8(&m.q, &m.table, int64(s[63]))
	addCached8(&m.acc, &identity8, &m.q, &m.tmp)
	mult8Rounds(m, s)
	toExtended8(out, &m.acc)
}

// setLane sets lane j to p.
func (v *extended8) setLane(j int, p *extPoint) {
	v.X.setLane(j, &p.X)
	v.Y.setLane(j, &p.Y)
	v.Z.setLane(j, &p.Z)
	v.T.setLane(j, &p.T)
}

// copyLane sets lane j to lane j of from.
func (v *extended8) copyLane(j int, from *extended8) {
	for i := range 5 {
		v.X[i][j], v.Y[i][j] = from.X[i][j], from.Y[i][j]
		v.Z[i][j], v.T[i][j] = from.Z[i][j], from.T[i][j]
	}
}
