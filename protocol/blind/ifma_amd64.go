//go:build amd64 && !purego

package blind

import (
	"encoding/binary"

	"filippo.io/edwards25519/field"
)

//go:generate go -C internal/asmgen run . -out ../../ifma_amd64.s

// fe8 is one field element in each of eight lanes, in radix 2^52: limb i of
// lane j is fe8[i][j]. The assembly (ifma_amd64.s, whose generator documents
// the arithmetic and its bounds) keeps every value loosely reduced: limbs 0
// to 3 below 2^52, limb 4 below 2^48.
type fe8 [5][8]uint64

// The field operations of ifma_amd64.s, lane by lane. Each output may be
// one of the inputs.

//go:noescape
func feMul8(out, a, b *fe8)

//go:noescape
func feSquare8(out, a *fe8)

//go:noescape
func feAdd8(out, a, b *fe8)

//go:noescape
func feSub8(out, a, b *fe8)

// feSelect8 sets out to a in the lanes whose bit of mask is set, to b in
// the others.
//
//go:noescape
func feSelect8(out, a, b *fe8, mask uint64)

const limb52 = 1<<52 - 1

// setLane sets lane j to x.
func (v *fe8) setLane(j int, x *field.Element) {
	v.setLaneBytes(j, x.Bytes())
}

// setLaneBytes sets lane j to the 32 bytes b, little-endian, ignoring the
// top bit as field.Element.SetBytes does; the value may be p or above (it
// stays below 2^255, which the assembly accepts).
func (v *fe8) setLaneBytes(j int, b []byte) {
	w0 := binary.LittleEndian.Uint64(b[0:])
	w1 := binary.LittleEndian.Uint64(b[8:])
	w2 := binary.LittleEndian.Uint64(b[16:])
	w3 := binary.LittleEndian.Uint64(b[24:32]) & (1<<63 - 1)
	v[0][j] = w0 & limb52
	v[1][j] = (w0>>52 | w1<<12) & limb52
	v[2][j] = (w1>>40 | w2<<24) & limb52
	v[3][j] = (w2>>28 | w3<<36) & limb52
	v[4][j] = w3 >> 16
}

// lane returns lane j as a field element. It accepts any limbs below 2^63.
func (v *fe8) lane(j int) field.Element {
	b := v.laneBytes(j)
	var x field.Element
	_, _ = x.SetBytes(b[:])
	return x
}

// laneBytes returns the canonical 32-byte encoding of lane j, without a
// branch on its value. It accepts any limbs below 2^63.
func (v *fe8) laneBytes(j int) [32]byte {
	l := v.canonicalLane(j)
	var b [32]byte
	binary.LittleEndian.PutUint64(b[0:], l[0]|l[1]<<52)
	binary.LittleEndian.PutUint64(b[8:], l[1]>>12|l[2]<<40)
	binary.LittleEndian.PutUint64(b[16:], l[2]>>24|l[3]<<28)
	binary.LittleEndian.PutUint64(b[24:], l[3]>>36|l[4]<<16)
	return b
}

// canonicalLane returns the limbs of lane j reduced below p: limbs 0-3
// below 2^52, limb 4 below 2^47. It accepts any limbs below 2^63.
func (v *fe8) canonicalLane(j int) [5]uint64 {
	var l [5]uint64
	for i := range l {
		l[i] = v[i][j]
	}
	carry := func() {
		for i := range 4 {
			l[i+1] += l[i] >> 52
			l[i] &= limb52
		}
	}
	// Two passes of carrying and folding 2^255 = 19 leave limbs 0-3
	// below 2^52 and the value V below 2^255 + 2^208 < 2p.
	for range 2 {
		carry()
		top := l[4] >> 47
		l[4] &= 1<<47 - 1
		l[0] += 19 * top
	}
	carry()
	// V >= p exactly when V + 19 reaches 2^255: then subtract p, which is
	// adding 19 and dropping 2^255.
	q := l
	q[0] += 19
	for i := range 4 {
		q[i+1] += q[i] >> 52
		q[i] &= limb52
	}
	l[0] += 19 * (q[4] >> 47)
	carry()
	l[4] &= 1<<47 - 1
	return l
}

// negativeMask returns the lanes whose value is negative in the sense of
// RFC 9496 (its canonical encoding is odd) as the bits of a mask for
// feSelect8, without a branch on the values.
func (v *fe8) negativeMask() uint64 {
	var m uint64
	for j := range 8 {
		m |= (v.canonicalLane(j)[0] & 1) << j
	}
	return m
}

// zeroMask returns the lanes whose value is 0 modulo p as the bits of a
// mask for feSelect8, without a branch on the values.
func (v *fe8) zeroMask() uint64 {
	var m uint64
	for j := range 8 {
		l := v.canonicalLane(j)
		z := l[0] | l[1] | l[2] | l[3] | l[4]
		m |= ((z|-z)>>63 ^ 1) << j // 1 exactly when z == 0
	}
	return m
}

// fePow22523_16 sets out = x^((p-5)/8) in every lane of both fe8; out may
// be x. The two are computed together because one chain of squarings waits
// on the latency of each (see the generator).
//
//go:noescape
func fePow22523_16(out, x *[2]fe8, tmp *[6]fe8)
