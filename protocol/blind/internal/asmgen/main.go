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
// the ten accumulators z0..z9 stay below 10*2^52. z5..z8 are carried into
// 52-bit limbs; z9 is at most hi(a4*b4) plus a carry, below 2^45, because
// a4 and b4 are below 2^48. Then 2^260 = 32*2^255 = 32*19 = 608 (mod p)
// folds z5..z9 onto z0..z4 with two more IFMA each; the high part of
// 608*z9, at 2^260 again, is below 2^3 and folds onto z0. Finally the bits of
// z4 from 2^255 up fold onto z0 times 19, and one carry pass from z0 to z4
// leaves limbs 0 to 3 below 2^52 and limb 4 below 2^47 + 2^12.
//
// Addition and subtraction work limb by limb (subtraction adds 4p first, so
// no limb goes negative) and end with the same final fold and carry pass.
//
// # Constant time
//
// No branch and no memory address depends on any operand: every function is
// straight-line code over fixed offsets. Table selection scans every entry
// and blends with a mask computed from the digit by arithmetic. Every vector
// register that held data is cleared before return.
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
	p4lo   = "Z25" // limb 0 of 4p
	p4mid  = "Z26" // limbs 1-3 of 4p
	p4hi   = "Z27" // limb 4 of 4p
)

func a(i int) string   { return fmt.Sprintf("Z%d", i) }    // operand limb i
func acc(k int) string { return fmt.Sprintf("Z%d", 5+k) }  // accumulator k
func tmp(i int) string { return fmt.Sprintf("Z%d", 16+i) } // temporary i
func p4(i int) string {
	switch i {
	case 0:
		return p4lo
	case 4:
		return p4hi
	}
	return p4mid
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

type gen struct{ b bytes.Buffer }

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
		{p4lo, 4 * (1<<52 - 19)}, {p4mid, 4 * (1<<52 - 1)}, {p4hi, 4 * (1<<47 - 1)},
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

// reduceWide reduces the ten accumulators of a product to acc(0)-acc(4).
func (g *gen) reduceWide() {
	for k := 5; k < 9; k++ {
		g.carry(acc(k), acc(k+1), 52, mask52)
	}
	g.op("VPXORQ %s, %s, %s", tmp(1), tmp(1), tmp(1))
	g.op("VPMADD52HUQ %s, %s, %s", c608, acc(9), tmp(1))
	for k := range 5 {
		g.op("VPMADD52LUQ %s, %s, %s", c608, acc(k+5), acc(k))
		if k < 4 {
			g.op("VPMADD52HUQ %s, %s, %s", c608, acc(k+5), acc(k+1))
		}
	}
	g.op("VPMADD52LUQ %s, %s, %s", c608, tmp(1), acc(0))
	g.finish()
}

func (g *gen) zeroAccs() {
	for k := range 10 {
		g.op("VPXORQ %s, %s, %s", acc(k), acc(k), acc(k))
	}
}

// mul sets dst = x*y.
func (g *gen) mul(dst, x, y mem) {
	g.load(a, x)
	g.zeroAccs()
	for i := range 5 {
		for j := range 5 {
			g.op("VPMADD52LUQ %s, %s, %s", y.limb(j), a(i), acc(i+j))
			g.op("VPMADD52HUQ %s, %s, %s", y.limb(j), a(i), acc(i+j+1))
		}
	}
	g.reduceWide()
	g.store(dst, acc)
}

// sqr sets dst = x^2: the ten cross products once, doubled, then the five
// squares.
func (g *gen) sqr(dst, x mem) {
	g.load(a, x)
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
	g.store(dst, acc)
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

// sub sets dst = x - y, computed as x + 4p - y.
func (g *gen) sub(dst, x, y mem) {
	g.load(acc, x)
	for i := range 5 {
		g.op("VPADDQ %s, %s, %s", p4(i), acc(i), acc(i))
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

func main() {
	outPath := flag.String("out", "ifma_amd64.s", "output file")
	flag.Parse()
	var g gen
	g.b.WriteString("// Code generated by protocol/blind/internal/asmgen. DO NOT EDIT.\n\n")
	g.b.WriteString("//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	g.fieldOps()
	if err := os.WriteFile(*outPath, g.b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
