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

// feCanonical8 sets out to x reduced below p in every lane: limbs 0-3
// below 2^52, limb 4 below 2^47, the bits of the encoding.
//
//go:noescape
func feCanonical8(out, x *fe8)

// negativeMask returns the lanes whose value is negative in the sense of
// RFC 9496 (its canonical encoding is odd) as the bits of a mask for
// feSelect8, without a branch on the values.
func (v *fe8) negativeMask() uint64 {
	var c fe8
	feCanonical8(&c, v)
	var m uint64
	for j := range 8 {
		m |= (c[0][j] & 1) << j
	}
	return m
}

// zeroMask returns the lanes whose value is 0 modulo p as the bits of a
// mask for feSelect8, without a branch on the values.
func (v *fe8) zeroMask() uint64 {
	var c fe8
	feCanonical8(&c, v)
	var m uint64
	for j := range 8 {
		z := c[0][j] | c[1][j] | c[2][j] | c[3][j] | c[4][j]
		m |= ((z|-z)>>63 ^ 1) << j // 1 exactly when z == 0
	}
	return m
}

// encode sets out[j] to the canonical encoding of lane j for every j
// below len(out), at most 8.
func (v *fe8) encode(out []Element) {
	var c fe8
	feCanonical8(&c, v)
	for j := range out {
		b := out[j][:]
		binary.LittleEndian.PutUint64(b[0:], c[0][j]|c[1][j]<<52)
		binary.LittleEndian.PutUint64(b[8:], c[1][j]>>12|c[2][j]<<40)
		binary.LittleEndian.PutUint64(b[16:], c[2][j]>>24|c[3][j]<<28)
		binary.LittleEndian.PutUint64(b[24:], c[3][j]>>36|c[4][j]<<16)
	}
}

// fePow22523_16 sets out = x^((p-5)/8) in every lane of both fe8; out may
// be x. The two are computed together because one chain of squarings waits
// on the latency of each (see the generator).
//
//go:noescape
func fePow22523_16(out, x *[2]fe8, tmp *[6]fe8)
