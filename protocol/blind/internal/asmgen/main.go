// Command asmgen writes protocol/blind/ifma_amd64.s: eight-lane field and
// point arithmetic for edwards25519 on AVX-512 IFMA. Run it through
// go generate in protocol/blind; the output is committed, and CI checks that
// regenerating it changes nothing.
//
// It is its own module, with no dependencies, so that nothing it imports
// enters the main module, and so that the import rules of the main module
// (which forbid os in protocol) do not apply to a build tool.
//
// # Representation
//
// A field element of eight lanes (fe8 in Go) is five 512-bit vectors, limb i
// of lane j at index 8i+j: limb i weighs 2^(52i). The IFMA instructions
// multiply the low 52 bits of their operands, so every input of a
// multiplication must have limbs 0 to 3 below 2^52 and, for the bound on the
// top product below, limb 4 below 2^48. Every function here returns its
// results in that form ("loosely reduced": the value is below 2^256, not
// necessarily below p), and accepts it.
//
// # Multiplication
//
// The 25 products a_i*b_j are 104 bits each; VPMADD52LUQ adds their low 52
// bits into accumulator i+j and VPMADD52HUQ their high bits into i+j+1, so
// the ten accumulators z0..z9 stay below 10*2^52 (a squaring doubles its
// cross products and stays below 16*2^52); z9 is hi(a4*b4) alone, below
// 2^44, because a4 and b4 are below 2^48. Then 2^260 = 32*2^255 = 32*19 =
// 608 (mod p) folds z(k+5) onto z(k) and z(k+1), uncarried: IFMA takes the
// low 52 bits of z(k+5), so the low and high halves of 608 times them go to
// z(k) and z(k+1), and the bits of z(k+5) from 2^52 up (below 2^4), which
// weigh 2^52 more, go to z(k+1) times 608 with one more IFMA (none for z9,
// below 2^52). The high half of 608*z9, at 2^260 again, is below 2^2 and
// folds onto z0. No carry pass runs before the fold, and every z(k) stays
// below 2^57. Finally the bits of z4 from 2^255 up fold onto z0 times 19,
// and one carry pass from z0 to z4 leaves limbs 0 to 3 below 2^52 and limb
// 4 below 2^47 + 2^10 (the carry out of limb 3 of an input below 2^62).
//
// Addition and subtraction work limb by limb and end with the same final
// fold and carry pass. Subtraction adds bigP, a multiple of p with every
// limb at least 2^57, first, so that no limb goes negative even when the
// subtrahend is a folded product (mulFolded): the point formulas add and
// subtract most of their products without carrying them first. Every input
// of the final pass is below 2^61.
//
// # Constant time
//
// No branch and no memory address depends on any operand: every function is
// straight-line code over fixed offsets, apart from loops whose counts are
// constants (the squarings of the exponentiation, the rounds and doublings
// of mult8Rounds, which reads the digit of each round at an address that
// depends on the round alone). Table selection scans every entry and blends
// with a mask computed from the digit by arithmetic. Every vector register
// that held data is cleared before return.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
)

// Fixed register roles. Z0-Z4 hold one operand, Z5-Z14 the accumulators
// (z0-z4 are the result of an operation), Z16-Z20 temporaries, Z21-Z27
// constants. Z15 is left alone: Go's ABIInternal reserves X15.
const (
	c608   = "Z21"
	c19    = "Z22"
	mask52 = "Z23"
	mask47 = "Z24"
	bigPlo = "Z25" // limb 0 of bigP
	bigPhi = "Z26" // limbs 1-4 of bigP
)

// bigP is 2^11 * p = 2^266 - 38912 written with every limb between 2^57
// and 2^59: limb 0 is 2^58 - 38912, limbs 1 to 4 are 2^58 - 2^6 (the -2^6
// of limb k+1 cancels the 2^58 of limb k). Subtraction adds it, so that no
// limb goes negative even when the subtrahend is a folded product.
const (
	bigPLimb0 = 1<<58 - 38912
	bigPLimb  = 1<<58 - 1<<6
)

func a(i int) string   { return fmt.Sprintf("Z%d", i) }    // operand limb i
func acc(k int) string { return fmt.Sprintf("Z%d", 5+k) }  // accumulator k
func tmp(i int) string { return fmt.Sprintf("Z%d", 16+i) } // temporary i
func bigP(i int) string {
	if i == 0 {
		return bigPlo
	}
	return bigPhi
}

// mem is a field element in memory: five vectors from off(base).
type mem struct {
	base string
	off  int
}

func (m mem) limb(i int) string { return fmt.Sprintf("%d(%s)", m.off+64*i, m.base) }

// field returns the i-th field element of a struct of them at m.
func (m mem) field(i int) mem { return mem{m.base, m.off + fe8Size*i} }

const fe8Size = 5 * 64

type gen struct {
	b      bytes.Buffer
	labels int // labels emitted so far
}

func (g *gen) op(format string, args ...any) {
	fmt.Fprintf(&g.b, "\t"+format+"\n", args...)
}

func (g *gen) comment(format string, args ...any) {
	fmt.Fprintf(&g.b, "\t// "+format+"\n", args...)
}

// text starts the function declared in Go as decl, whose ABI0 arguments
// take argSize bytes.
func (g *gen) text(decl string, argSize int) {
	name, _, _ := strings.Cut(decl, "(")
	fmt.Fprintf(&g.b, "\n// func %s\nTEXT ·%s(SB), NOSPLIT, $0-%d\n", decl, name, argSize)
}

// constants loads the constant registers.
func (g *gen) constants() {
	for _, c := range []struct {
		reg string
		v   uint64
	}{
		{c608, 608}, {c19, 19}, {mask52, 1<<52 - 1}, {mask47, 1<<47 - 1},
		{bigPlo, bigPLimb0}, {bigPhi, bigPLimb},
	} {
		g.op("MOVQ $0x%x, AX", c.v)
		g.op("VPBROADCASTQ AX, %s", c.reg)
	}
}

// ret clears every vector register the functions use and returns.
func (g *gen) ret() {
	for i := 0; i <= 31; i++ {
		if i == 15 {
			continue
		}
		g.op("VPXORQ Z%d, Z%d, Z%d", i, i, i)
	}
	g.op("VZEROUPPER")
	g.op("RET")
}

func (g *gen) load(regs func(int) string, m mem) {
	for i := range 5 {
		g.op("VMOVDQU64 %s, %s", m.limb(i), regs(i))
	}
}

func (g *gen) store(m mem, regs func(int) string) {
	for i := range 5 {
		g.op("VMOVDQU64 %s, %s", regs(i), m.limb(i))
	}
}

// carry moves the bits of register r above its low bits into next.
func (g *gen) carry(r, next string, bits int, mask string) {
	g.op("VPSRLQ $%d, %s, %s", bits, r, tmp(0))
	g.op("VPANDQ %s, %s, %s", mask, r, r)
	g.op("VPADDQ %s, %s, %s", tmp(0), next, next)
}

// finish folds the bits of acc(4) from 2^255 up onto acc(0) times 19 and
// carries acc(0) to acc(4) once: the final pass of every operation. The
// accumulators may hold up to 2^62 each.
func (g *gen) finish() {
	g.op("VPSRLQ $47, %s, %s", acc(4), tmp(0))
	g.op("VPANDQ %s, %s, %s", mask47, acc(4), acc(4))
	g.op("VPMADD52LUQ %s, %s, %s", c19, tmp(0), acc(0))
	for k := range 4 {
		g.carry(acc(k), acc(k+1), 52, mask52)
	}
}

// reduceWide reduces the ten accumulators of a product to acc(0)-acc(4)
// (see Multiplication in the package doc for the bounds).
func (g *gen) reduceWide() {
	for k := range 4 {
		g.op("VPMADD52LUQ %s, %s, %s", c608, acc(k+5), acc(k))
		g.op("VPMADD52HUQ %s, %s, %s", c608, acc(k+5), acc(k+1))
		g.op("VPSRLQ $52, %s, %s", acc(k+5), tmp(0))
		g.op("VPMADD52LUQ %s, %s, %s", c608, tmp(0), acc(k+1))
	}
	g.op("VPMADD52LUQ %s, %s, %s", c608, acc(9), acc(4))
	g.op("VPXORQ %s, %s, %s", tmp(1), tmp(1), tmp(1))
	g.op("VPMADD52HUQ %s, %s, %s", c608, acc(9), tmp(1))
	g.op("VPMADD52LUQ %s, %s, %s", c608, tmp(1), acc(0))
}

func (g *gen) zeroAccs() {
	for k := range 10 {
		g.op("VPXORQ %s, %s, %s", acc(k), acc(k), acc(k))
	}
}

// mul sets dst = x*y.
func (g *gen) mul(dst, x, y mem) {
	g.mulAccs(x, y)
	g.finish()
	g.store(dst, acc)
}

// mulFolded sets dst = x*y, folded but not carried: every limb below 2^57
// (see Multiplication). Only add, sub, twiceAdd and twiceSub may take such
// a value, since a multiplication's IFMA would drop its high bits; the
// point formulas use it for the products they only add or subtract, which
// saves the carry pass of each.
func (g *gen) mulFolded(dst, x, y mem) {
	g.mulAccs(x, y)
	g.store(dst, acc)
}

// mulAccs multiplies x by y into acc(0)-acc(4), folded.
func (g *gen) mulAccs(x, y mem) {
	g.load(a, x)
	g.zeroAccs()
	for i := range 5 {
		for j := range 5 {
			g.op("VPMADD52LUQ %s, %s, %s", y.limb(j), a(i), acc(i+j))
			g.op("VPMADD52HUQ %s, %s, %s", y.limb(j), a(i), acc(i+j+1))
		}
	}
	g.reduceWide()
}

// sqr sets dst = x^2.
func (g *gen) sqr(dst, x mem) {
	g.load(a, x)
	g.sqrRegs()
	g.finish()
	g.store(dst, acc)
}

// sqrFolded sets dst = x^2, folded but not carried, like mulFolded.
func (g *gen) sqrFolded(dst, x mem) {
	g.load(a, x)
	g.sqrRegs()
	g.store(dst, acc)
}

// sqrRegs squares the operand registers into acc(0)-acc(4), folded: the
// ten cross products once, doubled, then the five squares.
func (g *gen) sqrRegs() {
	g.zeroAccs()
	for i := range 5 {
		for j := i + 1; j < 5; j++ {
			g.op("VPMADD52LUQ %s, %s, %s", a(j), a(i), acc(i+j))
			g.op("VPMADD52HUQ %s, %s, %s", a(j), a(i), acc(i+j+1))
		}
	}
	for k := 1; k <= 8; k++ {
		g.op("VPADDQ %s, %s, %s", acc(k), acc(k), acc(k))
	}
	for i := range 5 {
		g.op("VPMADD52LUQ %s, %s, %s", a(i), a(i), acc(2*i))
		g.op("VPMADD52HUQ %s, %s, %s", a(i), a(i), acc(2*i+1))
	}
	g.reduceWide()
}

// sqrN2 sets dst[c] = x[c]^(2^n) for two independent values, their
// squarings alternated, looping over n-1 of them. The count is a constant
// of the code, so the branch depends on no data. Each value goes through
// memory (dst) between squarings, for want of registers for both.
func (g *gen) sqrN2(dst, x [2]mem, n int) {
	for c := range 2 {
		g.sqr(dst[c], x[c])
	}
	if n == 1 {
		return
	}
	label := fmt.Sprintf("sqr%d", g.labels)
	g.labels++
	g.op("MOVQ $%d, BX", n-1)
	fmt.Fprintf(&g.b, "%s:\n", label)
	for c := range 2 {
		g.sqr(dst[c], dst[c])
	}
	g.op("DECQ BX")
	g.op("JNZ %s", label)
}

// powChain is the addition chain of edwards25519's Pow22523 for
// x^(2^252-3) = x^((p-5)/8): 250 squarings and 11 multiplications over
// three temporaries (x is -1, out 3). sqrN and mul emit its steps.
func (g *gen) powChain(sqrN func(dst, x int, n int), mul func(dst, x, y int)) {
	const x, t0, t1, t2, out = -1, 0, 1, 2, 3
	sqrN(t0, x, 1)    // x^2
	sqrN(t1, t0, 2)   // x^8
	mul(t1, x, t1)    // x^9
	mul(t0, t0, t1)   // x^11
	sqrN(t0, t0, 1)   // x^22
	mul(t0, t1, t0)   // x^31 = x^(2^5-1)
	sqrN(t1, t0, 5)   // 2^10 - 2^5
	mul(t0, t1, t0)   // 2^10 - 1
	sqrN(t1, t0, 10)  // 2^20 - 2^10
	mul(t1, t1, t0)   // 2^20 - 1
	sqrN(t2, t1, 20)  // 2^40 - 2^20
	mul(t1, t2, t1)   // 2^40 - 1
	sqrN(t1, t1, 10)  // 2^50 - 2^10
	mul(t0, t1, t0)   // 2^50 - 1
	sqrN(t1, t0, 50)  // 2^100 - 2^50
	mul(t1, t1, t0)   // 2^100 - 1
	sqrN(t2, t1, 100) // 2^200 - 2^100
	mul(t1, t2, t1)   // 2^200 - 1
	sqrN(t1, t1, 50)  // 2^250 - 2^50
	mul(t0, t1, t0)   // 2^250 - 1
	sqrN(t0, t0, 2)   // 2^252 - 4
	mul(out, t0, x)   // 2^252 - 3
}

// pow22523 emits fePow22523_16(out, x *[2]fe8, tmp *[6]fe8): out =
// x^(2^252-3) = x^((p-5)/8), the exponentiation inside SQRT_RATIO_M1 (RFC
// 9496 section 4.2), for two fe8 at once. One chain of squarings is bound
// by the latency of each squaring; alternating the operations of two
// independent ones was 1.4 times faster per lane than one at a time (a
// third and fourth chain added nothing). out may be x.
func (g *gen) pow22523() {
	g.text("fePow22523_16(out, x *[2]fe8, tmp *[6]fe8)", 24)
	g.args("out", "x", "tmp")
	g.constants()
	// at is value v of powChain for both chains: x, a temporary or out.
	at := func(v int) [2]mem {
		var m [2]mem
		for c := range 2 {
			switch v {
			case -1:
				m[c] = mem{"SI", fe8Size * c}
			case 3:
				m[c] = mem{"DI", fe8Size * c}
			default:
				m[c] = mem{"DX", fe8Size * (2*v + c)}
			}
		}
		return m
	}
	g.powChain(func(dst, x, n int) { g.sqrN2(at(dst), at(x), n) }, func(dst, x, y int) {
		d, s, t := at(dst), at(x), at(y)
		for c := range 2 {
			g.mul(d[c], s[c], t[c])
		}
	})
	g.op("XORQ BX, BX")
	g.ret()
}

// add sets dst = x + y.
func (g *gen) add(dst, x, y mem) {
	g.load(acc, x)
	for i := range 5 {
		g.op("VPADDQ %s, %s, %s", y.limb(i), acc(i), acc(i))
	}
	g.finish()
	g.store(dst, acc)
}

// sub sets dst = x - y, computed as x + bigP - y.
func (g *gen) sub(dst, x, y mem) {
	g.load(acc, x)
	for i := range 5 {
		g.op("VPADDQ %s, %s, %s", bigP(i), acc(i), acc(i))
		g.op("VPSUBQ %s, %s, %s", y.limb(i), acc(i), acc(i))
	}
	g.finish()
	g.store(dst, acc)
}

// twiceAdd sets dst = 2x + y, and twiceSub dst = 2x - y (computed as
// 2x + bigP - y): the doubled product of the point formulas with its sum or
// difference in one pass, without reducing 2x on its own. x and y may be
// folded products; every limb stays below 2^60.
func (g *gen) twiceAdd(dst, x, y mem) {
	g.load(acc, x)
	for i := range 5 {
		g.op("VPADDQ %s, %s, %s", acc(i), acc(i), acc(i))
		g.op("VPADDQ %s, %s, %s", y.limb(i), acc(i), acc(i))
	}
	g.finish()
	g.store(dst, acc)
}

func (g *gen) twiceSub(dst, x, y mem) {
	g.load(acc, x)
	for i := range 5 {
		g.op("VPADDQ %s, %s, %s", acc(i), acc(i), acc(i))
		g.op("VPADDQ %s, %s, %s", bigP(i), acc(i), acc(i))
		g.op("VPSUBQ %s, %s, %s", y.limb(i), acc(i), acc(i))
	}
	g.finish()
	g.store(dst, acc)
}

// args loads the pointer arguments into registers.
func (g *gen) args(names ...string) {
	regs := []string{"DI", "SI", "DX", "CX", "R8", "R9"}
	for i, n := range names {
		g.op("MOVQ %s+%d(FP), %s", n, 8*i, regs[i])
	}
}

func (g *gen) fieldOps() {
	out, x, y := mem{"DI", 0}, mem{"SI", 0}, mem{"DX", 0}

	g.text("feMul8(out, a, b *fe8)", 24)
	g.args("out", "a", "b")
	g.constants()
	g.mul(out, x, y)
	g.ret()

	g.text("feSquare8(out, a *fe8)", 16)
	g.args("out", "a")
	g.constants()
	g.sqr(out, x)
	g.ret()

	g.text("feAdd8(out, a, b *fe8)", 24)
	g.args("out", "a", "b")
	g.constants()
	g.add(out, x, y)
	g.ret()

	g.text("feSub8(out, a, b *fe8)", 24)
	g.args("out", "a", "b")
	g.constants()
	g.sub(out, x, y)
	g.ret()

	// feSelect8 sets out to a in the lanes whose bit of mask is set, to b
	// in the others.
	g.text("feSelect8(out, a, b *fe8, mask uint64)", 32)
	g.args("out", "a", "b")
	g.op("MOVQ mask+24(FP), AX")
	g.op("KMOVW AX, K1")
	for i := range 5 {
		g.op("VMOVDQU64 %s, Z0", y.limb(i))
		g.op("VMOVDQU64 %s, Z1", x.limb(i))
		g.op("VPBLENDMQ Z1, Z0, K1, Z2")
		g.op("VMOVDQU64 Z2, %s", out.limb(i))
	}
	g.op("KXORW K1, K1, K1")
	g.op("XORQ AX, AX")
	g.ret()
}

// canonical emits feCanonical8(out, x *fe8): out = x reduced below p in
// every lane, limbs 0-3 below 2^52 and limb 4 below 2^47, the form whose
// bits are the encoding. Two passes of carrying and folding 2^255 = 19
// leave the value V below 2^255 + 2^208 < 2p; V >= p exactly when V + 19
// reaches 2^255, and then adding 19 and dropping bit 255 subtracts p. The
// same arithmetic in every lane, no branch.
func (g *gen) canonical() {
	g.text("feCanonical8(out, x *fe8)", 16)
	g.args("out", "x")
	g.constants()
	g.load(acc, mem{"SI", 0})
	carry := func(r func(int) string) {
		for k := range 4 {
			g.carry(r(k), r(k+1), 52, mask52)
		}
	}
	// foldTop adds 19 times the bits of limb 4 of r from 2^255 up (in
	// tmp(0)) to limb 0 of dst.
	foldTop := func(r, dst func(int) string) {
		g.op("VPSRLQ $47, %s, %s", r(4), tmp(0))
		g.op("VPMADD52LUQ %s, %s, %s", c19, tmp(0), dst(0))
	}
	q := func(i int) string { return acc(5 + i) }
	for range 2 {
		carry(acc)
		foldTop(acc, acc)
		g.op("VPANDQ %s, %s, %s", mask47, acc(4), acc(4))
	}
	carry(acc)
	for i := range 5 {
		g.op("VMOVDQA64 %s, %s", acc(i), q(i))
	}
	g.op("VPADDQ %s, %s, %s", c19, q(0), q(0))
	carry(q)
	foldTop(q, acc)
	carry(acc)
	g.op("VPANDQ %s, %s, %s", mask47, acc(4), acc(4))
	g.store(mem{"DI", 0}, acc)
	g.ret()
}

// cp copies a field element.
func (g *gen) cp(dst, x mem) {
	g.load(acc, x)
	g.store(dst, acc)
}

// Points are structs of four field elements (completed8, extended8 and
// cached8 in Go); the formulas are those of filippo.io/edwards25519 for the
// curve -x^2 + y^2 = 1 + d x^2 y^2, with the same coordinate systems:
// completed (X:Y:Z:T) with x = X/Z, y = Y/T; extended (X:Y:Z:T) with
// x = X/Z, y = Y/Z, xy = T/Z; cached (Y+X, Y-X, Z, 2dT) of an extended point.
//
// Each point operation is emitted by one method over memory operands, so
// that the functions of one operation and the fused multiplication loop
// (mult8Rounds) share the same code.
const (
	X, Y, Z, T               = 0, 1, 2, 3
	YplusX, YminusX, CZ, T2d = 0, 1, 2, 3
)

// double sets out = 2*in, completed points; t is eight field elements of
// scratch. It reads in before writing out, so they may be the same.
func (g *gen) double(out, in, t mem) {
	g.comment("to projective (X:Y:Z)")
	g.mul(t.field(0), in.field(X), in.field(T))
	g.mul(t.field(1), in.field(Y), in.field(Z))
	g.mul(t.field(2), in.field(Z), in.field(T))
	g.comment("double: XX, YY, ZZ (doubled in the last step), (X+Y)^2, folded")
	g.sqrFolded(t.field(3), t.field(0))
	g.sqrFolded(t.field(4), t.field(1))
	g.sqrFolded(t.field(5), t.field(2))
	g.add(t.field(6), t.field(0), t.field(1))
	g.sqrFolded(t.field(6), t.field(6))
	g.add(out.field(Y), t.field(4), t.field(3))
	g.sub(out.field(Z), t.field(4), t.field(3))
	g.sub(out.field(X), t.field(6), out.field(Y))
	g.twiceSub(out.field(T), t.field(5), out.field(Z))
}

// toExtended converts a completed point; out and in must not overlap.
func (g *gen) toExtended(out, in mem) {
	g.mul(out.field(X), in.field(X), in.field(T))
	g.mul(out.field(Y), in.field(Y), in.field(Z))
	g.mul(out.field(Z), in.field(Z), in.field(T))
	g.mul(out.field(T), in.field(X), in.field(Y))
}

// addCached sets the completed point out = p + q, p extended, q cached.
func (g *gen) addCached(out, p, q, t mem) {
	g.add(t.field(0), p.field(Y), p.field(X))
	g.sub(t.field(1), p.field(Y), p.field(X))
	g.mulFolded(t.field(2), t.field(0), q.field(YplusX))
	g.mulFolded(t.field(3), t.field(1), q.field(YminusX))
	g.mulFolded(t.field(4), p.field(T), q.field(T2d))
	g.mulFolded(t.field(5), p.field(Z), q.field(CZ))
	g.sub(out.field(X), t.field(2), t.field(3))
	g.add(out.field(Y), t.field(2), t.field(3))
	g.twiceAdd(out.field(Z), t.field(5), t.field(4))
	g.twiceSub(out.field(T), t.field(5), t.field(4))
}

func (g *gen) pointOps() {
	out, in, t := mem{"DI", 0}, mem{"SI", 0}, mem{"DX", 0}

	// pointDouble8 sets out = 2*in. It reads in before writing out, so
	// they may be the same.
	g.text("pointDouble8(out, in *completed8, tmp *[8]fe8)", 24)
	g.args("out", "in", "tmp")
	g.constants()
	g.double(out, in, t)
	g.ret()

	// toExtended8 converts a completed point. out and in must not overlap.
	g.text("toExtended8(out *extended8, in *completed8)", 16)
	g.args("out", "in")
	g.constants()
	g.toExtended(out, in)
	g.ret()

	// addCached8 sets out = p + q.
	g.text("addCached8(out *completed8, p *extended8, q *cached8, tmp *[8]fe8)", 32)
	g.args("out", "p", "q", "tmp")
	g.constants()
	g.addCached(out, in, mem{"DX", 0}, mem{"CX", 0})
	g.ret()

	// toCached8 converts an extended point; d2 is 2d in every lane.
	g.text("toCached8(out *cached8, p *extended8, d2 *fe8)", 24)
	g.args("out", "p", "d2")
	g.constants()
	g.add(out.field(YplusX), in.field(Y), in.field(X))
	g.sub(out.field(YminusX), in.field(Y), in.field(X))
	g.cp(out.field(CZ), in.field(Z))
	g.mul(out.field(T2d), in.field(T), mem{"DX", 0})
	g.ret()

	// selectCached8 sets out = digit * P, where table[j] = (j+1) * P and
	// -8 <= digit <= 8.
	g.text("selectCached8(out *cached8, table *[8]cached8, digit int64)", 24)
	g.args("out", "table")
	g.op("MOVQ digit+16(FP), AX")
	g.selectCached(out, in)
	g.constants()
	g.negateT2d(out)
	g.ret()
}

// The layout of mult8 in Go (point8_amd64.go), which mult8Rounds reads
// through one pointer; TestMult8Layout checks it.
const (
	mult8Table = 0                        // [8]cached8
	mult8Acc   = mult8Table + 8*4*fe8Size // completed8
	mult8Ext   = mult8Acc + 4*fe8Size     // extended8
	mult8Q     = mult8Ext + 4*fe8Size     // cached8
	mult8Tmp   = mult8Q + 4*fe8Size       // [8]fe8
)

// mult8Rounds emits mult8Rounds(m *mult8, digits *digits16): the 63 rounds
// of the eight-lane scalar multiplication, for digits 62 down to 0, on
// m.acc: four doublings, the conversion to extended coordinates, the
// selection of the digit's entry of m.table and its addition. It is the
// loop of mult8.scalarMult as one function, so the constants are loaded and
// the registers cleared once per multiplication instead of once per point
// operation (seven calls per round). Its branches close loops whose counts
// are constants; the digits' addresses depend only on the round.
func (g *gen) mult8Rounds() {
	g.text("mult8Rounds(m *mult8, digits *digits16)", 16)
	g.args("m", "digits")
	g.constants()
	table, acc, ext := mem{"DI", mult8Table}, mem{"DI", mult8Acc}, mem{"DI", mult8Ext}
	q, t := mem{"DI", mult8Q}, mem{"DI", mult8Tmp}
	round, dbl := fmt.Sprintf("round%d", g.labels), fmt.Sprintf("dbl%d", g.labels+1)
	g.labels += 2
	g.op("MOVQ $62, R8")
	fmt.Fprintf(&g.b, "%s:\n", round)
	g.op("MOVQ $4, R9")
	fmt.Fprintf(&g.b, "%s:\n", dbl)
	g.double(acc, acc, t)
	g.op("DECQ R9")
	g.op("JNZ %s", dbl)
	g.toExtended(ext, acc)
	g.op("MOVBQSX (SI)(R8*1), AX")
	g.selectCached(q, table)
	g.negateT2d(q)
	g.addCached(acc, ext, q, t)
	g.op("DECQ R8")
	g.op("JGE %s", round)
	g.ret()
}

// selectCached sets out = digit * P, digit in AX, where table[j] = (j+1) * P
// and -8 <= digit <= 8, except that the 2dT of out is not negated yet: it
// stays in Z16-Z20 for negateT2d, with the sign mask in K2. It blends every
// entry, with a mask that is all ones for the entry equal to |digit| and all
// zeros for the others, computed without branches; then it swaps Y+X and
// Y-X under the mask of the sign. It uses AX, BX, CX and DX.
func (g *gen) selectCached(out, table mem) {
	const entry = 4 * fe8Size
	// The result lives in Z0-Z4, Z5-Z9, Z10-Z14 and Z16-Z20.
	cur := func(f, i int) string {
		if f < 3 {
			return fmt.Sprintf("Z%d", 5*f+i)
		}
		return tmp(i)
	}
	g.comment("BX = -1 if digit < 0, else 0; CX = |digit|")
	g.op("MOVQ AX, BX")
	g.op("SARQ $63, BX")
	g.op("MOVQ AX, CX")
	g.op("ADDQ BX, CX")
	g.op("XORQ BX, CX")
	g.comment("the identity: (1, 1, 1, 0)")
	g.op("MOVQ $1, AX")
	g.op("VPBROADCASTQ AX, Z28")
	g.op("VPXORQ Z29, Z29, Z29")
	for f := range 4 {
		for i := range 5 {
			src := "Z29"
			if f < 3 && i == 0 {
				src = "Z28"
			}
			g.op("VMOVDQA64 %s, %s", src, cur(f, i))
		}
	}
	for j := 1; j <= 8; j++ {
		g.comment("entry %d: K1 = all lanes if |digit| == %d", j, j)
		g.op("MOVQ CX, DX")
		g.op("XORQ $%d, DX", j)
		g.op("SUBQ $1, DX")
		g.op("SARQ $63, DX")
		g.op("KMOVW DX, K1")
		e := mem{table.base, table.off + (j-1)*entry}
		for f := range 4 {
			for i := range 5 {
				g.op("VPBLENDMQ %s, %s, K1, %s", e.field(f).limb(i), cur(f, i), cur(f, i))
			}
		}
	}
	g.comment("negate under K2 = the sign: swap Y+X and Y-X, negate 2dT")
	g.op("KMOVW BX, K2")
	for i := range 5 {
		g.op("VMOVDQA64 %s, Z28", cur(0, i))
		g.op("VPBLENDMQ %s, %s, K2, %s", cur(1, i), cur(0, i), cur(0, i))
		g.op("VPBLENDMQ Z28, %s, K2, %s", cur(1, i), cur(1, i))
	}
	for f := range 3 {
		for i := range 5 {
			g.op("VMOVDQU64 %s, %s", cur(f, i), out.field(f).limb(i))
		}
	}
}

// negateT2d finishes selectCached: it stores 2dT, from Z16-Z20, into out,
// negated under K2, and clears the mask and general-purpose registers that
// held the digit. The constants must be loaded.
func (g *gen) negateT2d(out mem) {
	// bigP - 2dT in Z0-Z4 (the accumulators of finish are Z5-Z9, its
	// temporary Z16: move 2dT to Z28-Z31 and Z0 first).
	regT := func(i int) string {
		if i == 4 {
			return "Z0"
		}
		return fmt.Sprintf("Z%d", 28+i)
	}
	for i := range 5 {
		g.op("VMOVDQA64 %s, %s", tmp(i), regT(i))
	}
	for i := range 5 {
		g.op("VPSUBQ %s, %s, %s", regT(i), bigP(i), acc(i))
	}
	g.finish()
	for i := range 5 {
		g.op("VPBLENDMQ %s, %s, K2, %s", acc(i), regT(i), regT(i))
		g.op("VMOVDQU64 %s, %s", regT(i), out.field(3).limb(i))
	}
	g.op("KXORW K1, K1, K1")
	g.op("KXORW K2, K2, K2")
	for _, r := range []string{"AX", "BX", "CX", "DX"} {
		g.op("XORQ %s, %s", r, r)
	}
}

func main() {
	outPath := flag.String("out", "ifma_amd64.s", "output file")
	flag.Parse()
	var g gen
	g.b.WriteString("// Code generated by protocol/blind/internal/asmgen. DO NOT EDIT.\n\n")
	g.b.WriteString("//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	g.fieldOps()
	g.canonical()
	g.pointOps()
	g.pow22523()
	g.mult8Rounds()
	if err := os.WriteFile(*outPath, g.b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
