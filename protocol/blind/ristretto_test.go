package blind

import (
	"math/big"
	"testing"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
	"github.com/gtank/ristretto255"
)

// TestFieldConstants checks the constants of ristretto.go against RFC 9496
// section 4.1: the decimal values as published, and their definitions.
func TestFieldConstants(t *testing.T) {
	published := map[string]struct {
		fe  *field.Element
		dec string
	}{
		"SQRT_M1":           {feSqrtM1, "19681161376707505956807079304988542015446066515923890162744021073123829784752"},
		"D":                 {feD, "37095705934669439343138083508754565189542113879843219016388785533085940283555"},
		"SQRT_AD_MINUS_ONE": {feSqrtADMinusOne, "25063068953384623474111414158702152701244531502492656460079210482610430750235"},
		"INVSQRT_A_MINUS_D": {feInvSqrtAMinusD, "54469307008909316920995813868745141605393597292927456921205312896311721017578"},
		"ONE_MINUS_D_SQ":    {feOneMinusDSQ, "1159843021668779879193775521855586647937357759715417654439879720876111806838"},
		"D_MINUS_ONE_SQ":    {feDMinusOneSQ, "40440834346308536858101042469323190826248399146238708352240133220865137265952"},
	}
	for name, c := range published {
		want, _ := new(big.Int).SetString(c.dec, 10)
		if got := feToInt(c.fe); got.Cmp(want) != 0 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}

	var a, b field.Element
	// d = -121665/121666
	a.Mult32(feD, 121666)
	b.Mult32(feOne, 121665)
	b.Negate(&b)
	check := func(name string, x, y *field.Element) {
		if x.Equal(y) != 1 {
			t.Errorf("%s does not hold", name)
		}
	}
	check("d * 121666 = -121665", &a, &b)
	check("SQRT_M1^2 = -1", a.Square(feSqrtM1), feMinusOne)
	b.Add(feD, feOne)
	b.Negate(&b)
	check("SQRT_AD_MINUS_ONE^2 = -d - 1", a.Square(feSqrtADMinusOne), &b)
	a.Square(feInvSqrtAMinusD)
	check("INVSQRT_A_MINUS_D^2 * (-1 - d) = 1", a.Multiply(&a, &b), feOne)
	b.Square(feD)
	check("ONE_MINUS_D_SQ = 1 - d^2", feOneMinusDSQ, b.Subtract(feOne, &b))
	b.Subtract(feD, feOne)
	check("D_MINUS_ONE_SQ = (d - 1)^2", feDMinusOneSQ, b.Square(&b))
}

// decodePoint, mapToPoint and hashToPoint are the operations of ristretto.go
// on one element, with edwards25519's exponentiation.

// The points go through fromExt, which checks that they lie on the curve.

func decodePoint(p *edwards25519.Point, e *Element) bool {
	var d decoder
	var w field.Element
	var q extPoint
	d.start(&w, e)
	if !d.finish(&q, w.Pow22523(&w)) {
		return false
	}
	p.Set(fromExt(&q))
	return true
}

func mapToPoint(p *edwards25519.Point, b []byte) {
	var m mapper
	var w field.Element
	var q extPoint
	m.start(&w, b)
	m.finish(&q, w.Pow22523(&w))
	p.Set(fromExt(&q))
}

// TestSqrtRatio compares the two halves of sqrtRatio with edwards25519's
// SqrtRatio, on random values, squares, zeros and multiples of SQRT_M1.
func TestSqrtRatio(t *testing.T) {
	r := newRand(45)
	var zero field.Element
	for i := range 2000 {
		var b [32]byte
		_, _ = r.Read(b[:])
		var u, v field.Element
		_, _ = u.SetBytes(b[:])
		_, _ = r.Read(b[:])
		_, _ = v.SetBytes(b[:])
		switch i % 5 {
		case 1:
			u.Square(&u) // u/v a square times v^2
			u.Multiply(&u, &v)
			u.Multiply(&u, &v)
			u.Multiply(&u, &v)
		case 2:
			u.Set(&zero)
		case 3:
			v.Set(&zero)
		case 4:
			u.Multiply(&u, feSqrtM1)
		}
		var q sqrtRatio
		var w, got, want field.Element
		q.start(&w, &u, &v)
		ok := q.finish(&got, w.Pow22523(&w))
		_, wantOK := want.SqrtRatio(&u, &v)
		if ok != wantOK || got.Equal(&want) != 1 {
			t.Fatalf("sqrtRatio(%x, %x) = %x, %d; edwards25519 %x, %d", u.Bytes(), v.Bytes(), got.Bytes(), ok, want.Bytes(), wantOK)
		}
	}
}

func feToInt(fe *field.Element) *big.Int {
	le := fe.Bytes()
	be := make([]byte, len(le))
	for i := range le {
		be[len(le)-1-i] = le[i]
	}
	return new(big.Int).SetBytes(be)
}

// TestDecodeAndMapMatchGtank compares decodePoint and mapToPoint with gtank
// on random inputs: a decoded point is re-encoded through the batch encoder
// (2 * (P/2)), and accepted and rejected encodings must coincide.
func TestDecodeAndMapMatchGtank(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	r := newRand(40)
	var enc doubleEncoder
	half := halfKey(testKey(t, 1))
	for i := range n {
		var in Element
		_, _ = r.Read(in[:])
		if i%2 == 0 {
			in[31] &= 0x7f
			in[0] &^= 1
		}
		var g ristretto255.Element
		_, gerr := g.SetCanonicalBytes(in[:])
		var p edwards25519.Point
		ok := decodePoint(&p, &in)
		if ok != (gerr == nil) {
			t.Fatalf("decode(%x): ours %v, gtank %v", in[:], ok, gerr)
		}
		if ok {
			var out [1]Element
			p.ScalarMult(half, &p)
			enc.encode(out[:], extPoints(p))
			if out[0] != in {
				t.Fatalf("decode then encode(%x) = %x", in[:], out[0][:])
			}
		}

		var u [64]byte
		_, _ = r.Read(u[:])
		if _, err := g.SetUniformBytes(u[:]); err != nil {
			t.Fatal(err)
		}
		var q1, q2 edwards25519.Point
		mapToPoint(&q1, u[:32])
		mapToPoint(&q2, u[32:])
		q1.Add(&q1, &q2)
		q1.ScalarMult(half, &q1)
		var out [1]Element
		enc.encode(out[:], extPoints(q1))
		if out[0] != Element(g.Bytes()) {
			t.Fatalf("map(%x): ours %x, gtank %x", u[:], out[0][:], g.Bytes())
		}
	}
}

// affine returns x and y of p.
func affine(p *edwards25519.Point) (x, y field.Element) {
	X, Y, Z, _ := p.ExtendedCoordinates()
	var zInv field.Element
	zInv.Invert(Z)
	x.Multiply(X, &zInv)
	y.Multiply(Y, &zInv)
	return x, y
}

// TestDoubleEncoderBranches encodes random points in groups of every size
// up to encodeGroup and compares each result with gtank's encoding of the
// same element. It also checks that the inputs took both sides of both sign
// choices of the encoding (the rotation by the 4-torsion point, and the sign
// of y), computed here from affine coordinates.
func TestDoubleEncoderBranches(t *testing.T) {
	for _, enc := range batchEncoders() {
		t.Run(enc.name, func(t *testing.T) { testDoubleEncoderBranches(t, enc.encode) })
	}
}

// batchEncoder is one implementation of the batched double-and-encode
// (batchEncoders lists those of the build).
type batchEncoder struct {
	name   string
	encode func(out []Element, pts []extPoint)
}

func testDoubleEncoderBranches(t *testing.T, encode func(out []Element, pts []extPoint)) {
	r := newRand(41)
	var pts [encodeGroup]edwards25519.Point
	var want, got [encodeGroup]Element
	var seen [2][2]int
	half := halfKey(testKey(t, 1))
	for size := 1; size <= encodeGroup; size++ {
		for i := range size {
			var u [64]byte
			_, _ = r.Read(u[:])
			var g ristretto255.Element
			_, _ = g.SetUniformBytes(u[:])
			want[i] = Element(g.Bytes())
			// Decode gtank's encoding, then take a random representative
			// of the coset (adding 4-torsion) and halve it, so that the
			// encoder sees points gtank never produced.
			if !decodePoint(&pts[i], &want[i]) {
				t.Fatalf("decodePoint rejects gtank's encoding %x", want[i][:])
			}
			pts[i].Add(&pts[i], &torsion4[u[0]%4])
			pts[i].ScalarMult(half, &pts[i])

			var double edwards25519.Point
			double.Add(&pts[i], &pts[i])
			x, y := affine(&double)
			var xy, xr field.Element
			xy.Multiply(&x, &y)
			rotate := xy.IsNegative()
			xr.Multiply(&y, feSqrtM1)
			xr.Select(&xr, &x, rotate)
			seen[rotate][xr.IsNegative()]++
		}
		encode(got[:size], extPoints(pts[:size]...))
		for i := range size {
			if got[i] != want[i] {
				t.Fatalf("group of %d, point %d: %x, want %x", size, i, got[i][:], want[i][:])
			}
		}
	}
	for rot := range 2 {
		for neg := range 2 {
			if seen[rot][neg] == 0 {
				t.Errorf("no input with rotate=%d, negative x=%d", rot, neg)
			}
		}
	}
	t.Logf("branches (rotate, negative x): %v", seen)
}

// torsion4 is the 4-torsion subgroup: identity, (i, 0), (0, -1), (-i, 0).
var torsion4 = func() [4]edwards25519.Point {
	var ts [4]edwards25519.Point
	var zero, minusI field.Element
	minusI.Negate(feSqrtM1)
	coords := [4][2]*field.Element{{&zero, feOne}, {feSqrtM1, &zero}, {&zero, feMinusOne}, {&minusI, &zero}}
	for i, c := range coords {
		if _, err := ts[i].SetExtendedCoordinates(c[0], c[1], feOne, &zero); err != nil {
			panic(err)
		}
	}
	return ts
}()

// TestDoubleEncoderTorsion puts points whose double is in the 4-torsion
// (encoding: all zeros) among ordinary points: they must encode to zeros
// without spoiling the shared inversion for the others.
func TestDoubleEncoderTorsion(t *testing.T) {
	for _, enc := range batchEncoders() {
		t.Run(enc.name, func(t *testing.T) { testDoubleEncoderTorsion(t, enc.encode) })
	}
}

func testDoubleEncoderTorsion(t *testing.T, encode func(out []Element, pts []extPoint)) {
	var pts [encodeGroup]edwards25519.Point
	var want, got [encodeGroup]Element
	r := newRand(42)
	half := halfKey(testKey(t, 1))
	for i := range pts {
		if i%5 == 0 {
			pts[i].Set(&torsion4[i%4])
			continue
		}
		var u [64]byte
		_, _ = r.Read(u[:])
		var g ristretto255.Element
		_, _ = g.SetUniformBytes(u[:])
		want[i] = Element(g.Bytes())
		decodePoint(&pts[i], &want[i])
		pts[i].ScalarMult(half, &pts[i])
	}
	encode(got[:], extPoints(pts[:]...))
	if got != want {
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("point %d: %x, want %x", i, got[i][:], want[i][:])
			}
		}
	}
	// A group made only of such points.
	encode(got[:3], extPoints(torsion4[1:]...))
	if got[0] != (Element{}) || got[1] != (Element{}) || got[2] != (Element{}) {
		t.Errorf("all-torsion group: %x", got[:3])
	}
}
