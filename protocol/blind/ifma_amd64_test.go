//go:build amd64 && !purego

package blind

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"testing"
	"unsafe"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"

	"github.com/blindjoin/blindjoin/protocol"
)

func requireIFMA(t testing.TB) {
	t.Helper()
	if !hasIFMA {
		t.Skip("this CPU lacks AVX-512 IFMA")
	}
}

var bigP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

// laneInt is the value of lane j as an integer, not reduced.
func laneInt(v *fe8, j int) *big.Int {
	n := new(big.Int)
	for i := 4; i >= 0; i-- {
		n.Lsh(n, 52)
		n.Add(n, new(big.Int).SetUint64(v[i][j]))
	}
	return n
}

// randomFe8 fills v with limbs at or near the bounds the assembly accepts
// (limbs 0-3 below 2^52, limb 4 below 2^48) and uniformly random ones.
func randomFe8(v *fe8, r *rand.Rand) {
	for j := range 8 {
		for i := range 5 {
			max := uint64(1<<52 - 1)
			if i == 4 {
				max = 1<<48 - 1
			}
			switch r.IntN(6) {
			case 0:
				v[i][j] = max
			case 1:
				v[i][j] = 0
			case 2:
				v[i][j] = max - r.Uint64N(64)
			default:
				v[i][j] = r.Uint64N(max + 1)
			}
		}
	}
}

// checkLoose fails if v is outside the bounds every operation must keep.
func checkLoose(t *testing.T, name string, v *fe8) {
	t.Helper()
	for j := range 8 {
		for i := range 5 {
			max := uint64(1<<52 - 1)
			if i == 4 {
				max = 1<<48 - 1
			}
			if v[i][j] > max {
				t.Fatalf("%s: lane %d limb %d = %#x, above the bound", name, j, i, v[i][j])
			}
		}
	}
}

func TestFe8Lanes(t *testing.T) {
	r := rand.New(newRand(50))
	for range 2000 {
		var v fe8
		randomFe8(&v, r)
		for j := range 8 {
			got := v.lane(j)
			want := new(big.Int).Mod(laneInt(&v, j), bigP)
			if feToInt(&got).Cmp(want) != 0 {
				t.Fatalf("lane of %v = %v, want %v", laneInt(&v, j), feToInt(&got), want)
			}
			var w fe8
			w.setLane(j, &got)
			if laneInt(&w, j).Cmp(want) != 0 {
				t.Fatalf("setLane(%v) = %v", want, laneInt(&w, j))
			}
		}
	}
	// Values from p - 1 to just past 2^256, where the reduction changes.
	for _, d := range []int64{-1, 0, 1, 18, 19, 20} {
		for _, base := range []*big.Int{bigP, new(big.Int).Lsh(bigP, 1), new(big.Int).Lsh(big.NewInt(1), 255)} {
			n := new(big.Int).Add(base, big.NewInt(d))
			var v fe8
			for i := range 5 {
				v[i][0] = new(big.Int).Rsh(n, uint(52*i)).Uint64() & limb52
			}
			v[4][0] = new(big.Int).Rsh(n, 208).Uint64()
			got := v.lane(0)
			if want := new(big.Int).Mod(n, bigP); feToInt(&got).Cmp(want) != 0 {
				t.Errorf("lane(%v) = %v, want %v", n, feToInt(&got), want)
			}
			if !hasIFMA {
				continue // the rest runs the assembly
			}
			var c fe8
			feCanonical8(&c, &v)
			if l := v.canonicalLane(0); [5]uint64{c[0][0], c[1][0], c[2][0], c[3][0], c[4][0]} != l {
				t.Errorf("feCanonical8(%v) differs from the reduction in Go", n)
			}
		}
	}
}

// TestFieldOps8 compares each eight-lane operation with edwards25519's
// field, lane by lane, on random and boundary limbs, and checks that the
// results stay within the bounds the next operation needs.
// TestFe8Masks checks feCanonical8, the lane masks and the encodings made
// from it against edwards25519's IsNegative, Equal and Bytes, and against
// the reduction in Go, on limbs at their bounds, multiples of p (zero in a
// non-canonical form) and p - 1.
func TestFe8Masks(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(62))
	var zero field.Element
	for i := range 3000 {
		var v fe8
		randomFe8(&v, r)
		for j := range 8 {
			var n *big.Int
			switch (i + j) % 5 {
			case 0:
				n = new(big.Int).Mul(bigP, big.NewInt(int64(j%3))) // 0, p or 2p
			case 1:
				n = new(big.Int).Sub(bigP, big.NewInt(1))
			}
			if n != nil {
				for k := range 5 {
					v[k][j] = new(big.Int).Rsh(n, uint(52*k)).Uint64() & limb52
				}
				v[4][j] = new(big.Int).Rsh(n, 208).Uint64()
			}
		}
		neg, zer := v.negativeMask(), v.zeroMask()
		var enc [8]Element
		v.encode(enc[:])
		var c fe8
		feCanonical8(&c, &v)
		for j := range 8 {
			x := v.lane(j)
			if got, want := int(neg>>j&1), x.IsNegative(); got != want {
				t.Fatalf("lane %d (%v): negative %d, want %d", j, laneInt(&v, j), got, want)
			}
			if got, want := int(zer>>j&1), x.Equal(&zero); got != want {
				t.Fatalf("lane %d (%v): zero %d, want %d", j, laneInt(&v, j), got, want)
			}
			if b := v.laneBytes(j); !bytes.Equal(b[:], x.Bytes()) || !bytes.Equal(enc[j][:], x.Bytes()) {
				t.Fatalf("lane %d (%v): bytes %x and %x, want %x", j, laneInt(&v, j), b, enc[j], x.Bytes())
			}
			if l := v.canonicalLane(j); [5]uint64{c[0][j], c[1][j], c[2][j], c[3][j], c[4][j]} != l {
				t.Fatalf("lane %d (%v): feCanonical8 limbs differ from %v", j, laneInt(&v, j), l)
			}
		}
	}
}

func TestFieldOps8(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(51))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		var x, y, out fe8
		randomFe8(&x, r)
		randomFe8(&y, r)
		mask := r.Uint64N(256)
		ops := []struct {
			name string
			run  func()
			want func(a, b *field.Element, j int) field.Element
		}{
			{"mul", func() { feMul8(&out, &x, &y) }, func(a, b *field.Element, _ int) field.Element { return *new(field.Element).Multiply(a, b) }},
			{"square", func() { feSquare8(&out, &x) }, func(a, _ *field.Element, _ int) field.Element { return *new(field.Element).Square(a) }},
			{"add", func() { feAdd8(&out, &x, &y) }, func(a, b *field.Element, _ int) field.Element { return *new(field.Element).Add(a, b) }},
			{"sub", func() { feSub8(&out, &x, &y) }, func(a, b *field.Element, _ int) field.Element { return *new(field.Element).Subtract(a, b) }},
			{"select", func() { feSelect8(&out, &x, &y, mask) }, func(a, b *field.Element, j int) field.Element {
				if mask>>j&1 == 1 {
					return *a
				}
				return *b
			}},
		}
		for _, op := range ops {
			op.run()
			checkLoose(t, op.name, &out)
			for j := range 8 {
				a, b := x.lane(j), y.lane(j)
				want := op.want(&a, &b, j)
				if got := out.lane(j); got.Equal(&want) != 1 {
					t.Fatalf("%s, lane %d: %v op %v = %v, want %v", op.name, j,
						laneInt(&x, j), laneInt(&y, j), feToInt(&got), feToInt(&want))
				}
			}
		}
	}
	// Outputs may alias inputs.
	var x, y, want fe8
	randomFe8(&x, r)
	y = x
	feMul8(&want, &x, &y)
	feMul8(&x, &x, &x)
	if x != want {
		t.Error("feMul8 in place differs")
	}
}

func randomPoint(t testing.TB, r *rand.Rand) *edwards25519.Point {
	t.Helper()
	var b [64]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	s, err := edwards25519.NewScalar().SetUniformBytes(b[:])
	if err != nil {
		t.Fatal(err)
	}
	return new(edwards25519.Point).ScalarBaseMult(s)
}

func randomScalar(t testing.TB, r *rand.Rand) *edwards25519.Scalar {
	t.Helper()
	var b [64]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	s, err := edwards25519.NewScalar().SetUniformBytes(b[:])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDigits16(t *testing.T) {
	r := rand.New(newRand(52))
	for range 1000 {
		s := randomScalar(t, r)
		var d digits16
		d.setScalar(s)
		sum := new(big.Int)
		for i := 63; i >= 0; i-- {
			if d[i] < -8 || d[i] > 8 {
				t.Fatalf("digit %d = %d", i, d[i])
			}
			sum.Lsh(sum, 4)
			sum.Add(sum, big.NewInt(int64(d[i])))
		}
		if want := feToIntBytes(s.Bytes()); sum.Cmp(want) != 0 {
			t.Fatalf("digits sum to %v, want %v", sum, want)
		}
	}
}

func feToIntBytes(le []byte) *big.Int {
	be := make([]byte, len(le))
	for i := range le {
		be[len(le)-1-i] = le[i]
	}
	return new(big.Int).SetBytes(be)
}

// TestPointOps8 compares doubling, addition and the conversions with
// edwards25519 in every lane.
func TestPointOps8(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(53))
	for range 200 {
		var ps, qs [8]*edwards25519.Point
		var p, q extended8
		for j := range 8 {
			ps[j], qs[j] = randomPoint(t, r), randomPoint(t, r)
			p.setLane(j, toExt(ps[j]))
			q.setLane(j, toExt(qs[j]))
		}
		var qc cached8
		var sum completed8
		var tmp [8]fe8
		var out extended8
		toCached8(&qc, &q, &d2x8)
		addCached8(&sum, &p, &qc, &tmp)
		toExtended8(&out, &sum)
		var dbl completed8
		pointDouble8(&dbl, &sum, &tmp)
		var dblExt extended8
		toExtended8(&dblExt, &dbl)
		// The doubled products (twiceAdd, twiceSub) must come out loosely
		// reduced like every other value.
		for _, v := range []*fe8{&sum.X, &sum.Y, &sum.Z, &sum.T, &dbl.X, &dbl.Y, &dbl.Z, &dbl.T} {
			checkLoose(t, "point coordinate", v)
		}
		for j := range 8 {
			want := new(edwards25519.Point).Add(ps[j], qs[j])
			var got extPoint
			out.lane(j, &got)
			if fromExt(&got).Equal(want) != 1 {
				t.Fatalf("lane %d: p + q differs", j)
			}
			want.Add(want, want)
			dblExt.lane(j, &got)
			if fromExt(&got).Equal(want) != 1 {
				t.Fatalf("lane %d: 2(p + q) differs", j)
			}
		}
	}
}

// TestSelectCached8 checks every digit from -8 to 8 against the table.
func TestSelectCached8(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(54))
	var ps [8]*edwards25519.Point
	var p extended8
	for j := range 8 {
		ps[j] = randomPoint(t, r)
		p.setLane(j, toExt(ps[j]))
	}
	var m mult8
	toCached8(&m.table[0], &p, &d2x8)
	for j := 1; j < 8; j++ {
		addCached8(&m.acc, &p, &m.table[j-1], &m.tmp)
		toExtended8(&m.ext, &m.acc)
		toCached8(&m.table[j], &m.ext, &d2x8)
	}
	for digit := -8; digit <= 8; digit++ {
		selectCached8(&m.q, &m.table, int64(digit))
		addCached8(&m.acc, &identity8, &m.q, &m.tmp)
		toExtended8(&m.ext, &m.acc)
		s := edwards25519.NewScalar()
		var b [32]byte
		b[0] = byte(max(digit, -digit))
		_, _ = s.SetCanonicalBytes(b[:])
		if digit < 0 {
			s.Negate(s)
		}
		for j := range 8 {
			want := new(edwards25519.Point).ScalarMult(s, ps[j])
			var got extPoint
			m.ext.lane(j, &got)
			if fromExt(&got).Equal(want) != 1 {
				t.Fatalf("digit %d, lane %d differs", digit, j)
			}
		}
	}
}

// TestScalarMult8 compares the eight-lane multiplication with edwards25519's
// ScalarMult in every lane, for random scalars and the extremes.
func TestScalarMult8(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(55))
	n := 200
	if testing.Short() {
		n = 20
	}
	var m mult8
	minusOne := edwards25519.NewScalar().Subtract(edwards25519.NewScalar(), scalarFromInt(1))
	for i := range n {
		s := randomScalar(t, r)
		switch i {
		case 0:
			s = scalarFromInt(1)
		case 1:
			s = minusOne
		case 2:
			s = edwards25519.NewScalar()
		}
		var ps [8]*edwards25519.Point
		var p, out extended8
		for j := range 8 {
			ps[j] = randomPoint(t, r)
			p.setLane(j, toExt(ps[j]))
		}
		var d digits16
		d.setScalar(s)
		m.scalarMult(&out, &p, &d)
		for j := range 8 {
			want := new(edwards25519.Point).ScalarMult(s, ps[j])
			var got extPoint
			out.lane(j, &got)
			if fromExt(&got).Equal(want) != 1 {
				t.Fatalf("scalar %d, lane %d differs", i, j)
			}
		}
	}
}

func scalarFromInt(v byte) *edwards25519.Scalar {
	var b [32]byte
	b[0] = v
	s, _ := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	return s
}

func BenchmarkScalarMult8(b *testing.B) {
	requireIFMA(b)
	r := rand.New(newRand(56))
	var p, out extended8
	for j := range 8 {
		p.setLane(j, toExt(randomPoint(b, r)))
	}
	var d digits16
	d.setScalar(randomScalar(b, r))
	var m mult8
	measure(b, "point", 8, func() { m.scalarMult(&out, &p, &d) })
}

func BenchmarkFeMul8(b *testing.B) {
	requireIFMA(b)
	var x fe8
	randomFe8(&x, rand.New(newRand(57)))
	measure(b, "lane", 8, func() { feMul8(&x, &x, &x) })
}

// TestGroupBackendsAgree compares the eight-lane backend with the portable
// one on groups of every size from 1 to 17, the full group, and 1,000
// random groups under random scalars: every lane position, full and partial
// rounds, for both the multiplication and the exponentiation.
func TestGroupBackendsAgree(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(58))
	groups := 1000
	if testing.Short() {
		groups = 100
	}
	sizes := []int{}
	for n := 1; n <= 17; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, encodeGroup-1, encodeGroup)
	for range groups {
		sizes = append(sizes, 1+r.IntN(24))
	}
	for _, n := range sizes {
		s := randomScalar(t, r)
		ifma, portable := backendFor(s, false)(), newPortableBackend(s)
		got, want := make([]Element, n), make([]Element, n)
		uniform := make([][64]byte, n)
		for i := range uniform {
			for k := range uniform[i] {
				uniform[i][k] = byte(r.Uint32())
			}
		}
		ifma.blindGroup(got, uniform)
		portable.blindGroup(want, uniform)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("group of %d, blindGroup of element %d differs", n, i)
			}
		}

		// Decoding the encodings just made, then multiplying and encoding.
		in := append([]Element(nil), want...)
		if ifma.decode(in) != 1<<n-1 || portable.decode(in) != 1<<n-1 {
			t.Fatalf("group of %d: valid encodings rejected", n)
		}
		ifma.multiplyEncodeDecoded(got)
		portable.multiplyEncodeDecoded(want)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("group of %d, decoded element %d differs", n, i)
			}
		}

		// Decoding with random bytes, the identity and non-canonical
		// spellings in random positions.
		for i := range in {
			switch r.IntN(8) {
			case 0:
				for k := range in[i] {
					in[i][k] = byte(r.Uint32())
				}
			case 1:
				in[i] = Element{}
			case 2:
				in[i][31] |= 0x80 // top bit
			case 3:
				in[i][0] |= 1 // negative
			}
		}
		gotValid, wantValid := ifma.decode(in), portable.decode(in)
		if gotValid != wantValid {
			t.Fatalf("group of %d: decode masks %b, want %b", n, gotValid, wantValid)
		}
		if gotValid == 1<<n-1 {
			ifma.multiplyEncodeDecoded(got)
			portable.multiplyEncodeDecoded(want)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("group of %d, decoded element %d differs", n, i)
				}
			}
		}
	}
}

// FuzzBatchPaths runs a group through batch workers with the eight-lane and
// the portable multiplier, and through gtank one element at a time: the
// encodings, and which element is rejected and why, must agree.
func FuzzBatchPaths(f *testing.F) {
	requireIFMA(f)
	f.Add([]byte{1, 2, 3}, []byte{7}, append(unhex(f, generatorHex), unhex(f, fieldPrime)...))
	f.Add(make([]byte, 17*32), bytes.Repeat([]byte{0xff}, 32), make([]byte, 64))
	f.Fuzz(func(t *testing.T, digestBytes, scalar, encodings []byte) {
		var sb [32]byte
		copy(sb[:], scalar)
		sb[31] &= 0x0f
		k, err := ParseKey(sb[:])
		if err != nil {
			return // zero
		}
		digests := make([][32]byte, min(17, (len(digestBytes)+31)/32))
		for i := range digests {
			copy(digests[i][:], digestBytes[32*i:])
		}
		in := make([]Element, min(17, (len(encodings)+31)/32))
		for i := range in {
			copy(in[i][:], encodings[32*i:])
		}

		half := halfKey(k)
		workers := map[string]*batchWorker{
			"ifma":     {x: newXMD(protocol.DST), arith: backendFor(half, false)()},
			"portable": {x: newXMD(protocol.DST), arith: newPortableBackend(half)},
		}
		single := newFast(protocol.DST)
		for name, w := range workers {
			out := make([]Element, len(digests))
			w.blind(out, digests)
			for i := range digests {
				var want Element
				single.blind(&want, k, digests[i][:])
				if out[i] != want {
					t.Fatalf("%s: blind[%d] = %x, gtank %x", name, i, out[i][:], want[:])
				}
			}
			out = make([]Element, len(in))
			bad, err := w.reblind(out, in)
			wantBad, wantErr := -1, error(nil)
			for i := range in {
				var want Element
				if e := k.reblind(single, &want, &in[i]); e != nil {
					wantBad, wantErr = i, e
					break
				}
				if err == nil && out[i] != want {
					t.Fatalf("%s: reblind[%d] = %x, gtank %x", name, i, out[i][:], want[:])
				}
			}
			if wantErr != nil && (bad != wantBad || err != wantErr) || wantErr == nil && err != nil {
				t.Fatalf("%s: reblind error at %d (%v), gtank at %d (%v)", name, bad, err, wantBad, wantErr)
			}
		}
	})
}

func TestPow22523x16(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(59))
	var tmp [6]fe8
	for range 200 {
		var x, out [2]fe8
		randomFe8(&x[0], r)
		randomFe8(&x[1], r)
		fePow22523_16(&out, &x, &tmp)
		for c := range out {
			checkLoose(t, "pow22523", &out[c])
			for j := range 8 {
				in := x[c].lane(j)
				want := new(field.Element).Pow22523(&in)
				if got := out[c].lane(j); got.Equal(want) != 1 {
					t.Fatalf("fe8 %d, lane %d: pow22523(%v) differs", c, j, laneInt(&x[c], j))
				}
			}
		}
	}
	// out may be x.
	var x, want [2]fe8
	randomFe8(&x[0], r)
	randomFe8(&x[1], r)
	fePow22523_16(&want, &x, &tmp)
	fePow22523_16(&x, &x, &tmp)
	if x != want {
		t.Error("fePow22523_16 in place differs")
	}
}

func BenchmarkPow22523x16(b *testing.B) {
	requireIFMA(b)
	var x [2]fe8
	randomFe8(&x[0], rand.New(newRand(60)))
	randomFe8(&x[1], rand.New(newRand(61)))
	s := newIFMAScratch()
	measure(b, "lane", 16, func() { fePow22523_16(&x, &x, &s.tmp) })
}

func BenchmarkBatchBackends(b *testing.B) {
	requireIFMA(b)
	ds := randomDigests(encodeGroup, 28)
	half := halfKey(testKey(b, 28))
	backends := []struct {
		name  string
		arith groupBackend
	}{{backendPortable, newPortableBackend(half)}, {backendIFMA, backendFor(half, false)()}}
	// The batch path before the batch backends: gtank, one element at a
	// time.
	k := testKey(b, 28)
	f := newFast(protocol.DST)
	var blinded, out [encodeGroup]Element
	for i := range ds {
		f.blind(&blinded[i], k, ds[i][:])
	}
	b.Run("gtank/blind", func(b *testing.B) {
		measure(b, "element", encodeGroup, func() {
			for i := range ds {
				f.blind(&out[i], k, ds[i][:])
			}
		})
	})
	b.Run("gtank/reblind", func(b *testing.B) {
		measure(b, "element", encodeGroup, func() {
			for i := range blinded {
				f.reblind(&out[i], k, &blinded[i])
			}
		})
	})
	for _, bk := range backends {
		w := &batchWorker{x: newXMD(protocol.DST), arith: bk.arith}
		b.Run(bk.name+"/blind", func(b *testing.B) {
			measure(b, "element", encodeGroup, func() { w.blind(out[:], ds) })
		})
		b.Run(bk.name+"/reblind", func(b *testing.B) {
			measure(b, "element", encodeGroup, func() {
				if _, err := w.reblind(out[:], blinded[:]); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkPairedBatchIFMA compares the portable and the eight-lane backend
// the same way: one group blinded and re-blinded.
func BenchmarkPairedBatchIFMA(b *testing.B) {
	requireIFMA(b)
	k := testKey(b, 30)
	ds := randomDigests(encodeGroup, 30)
	half := halfKey(k)
	ws := [2]*batchWorker{
		{x: newXMD(protocol.DST), arith: newPortableBackend(half)},
		{x: newXMD(protocol.DST), arith: backendFor(half, false)()},
	}
	var blinded, out [encodeGroup]Element
	var ops [2]func()
	for i, w := range ws {
		ops[i] = func() {
			w.blind(blinded[:], ds)
			if _, err := w.reblind(out[:], blinded[:]); err != nil {
				b.Fatal(err)
			}
		}
	}
	paired(b, encodeGroup, [2]string{backendPortable, backendIFMA}, ops)
}

// The eight-lane scratch must start at a 64-byte boundary, and every
// vector in it with it.
func TestIFMAScratchAligned(t *testing.T) {
	for _, size := range []uintptr{unsafe.Sizeof(fe8{}), unsafe.Sizeof(extended8{}), unsafe.Sizeof(cached8{}), unsafe.Sizeof(mult8{}), unsafe.Sizeof(mapper8{}), unsafe.Sizeof(decoder8{}), unsafe.Sizeof(doubleEncoder8{})} {
		if size%vectorAlign != 0 {
			t.Fatalf("a scratch type of %d bytes is not a whole number of vectors", size)
		}
	}
	for range 50 {
		s := newIFMAScratch()
		for _, p := range []unsafe.Pointer{unsafe.Pointer(s), unsafe.Pointer(&s.m.tmp), unsafe.Pointer(&s.pws[1]), unsafe.Pointer(&s.decs[7]), unsafe.Pointer(&s.tmp[5])} {
			if uintptr(p)%vectorAlign != 0 {
				t.Fatalf("scratch at %d mod %d", uintptr(p)%vectorAlign, vectorAlign)
			}
		}
		if *s != (ifmaScratch{}) {
			t.Fatal("new scratch is not zeroed")
		}
	}
}

// BenchmarkScalarMult8Alignment compares, paired, the eight-lane
// multiplication with its scratch 16 bytes off a 64-byte boundary (where
// Go happened to put it before newIFMAScratch) and aligned.
func BenchmarkScalarMult8Alignment(b *testing.B) {
	requireIFMA(b)
	r := rand.New(newRand(57))
	var p, out extended8
	for j := range 8 {
		p.setLane(j, toExt(randomPoint(b, r)))
	}
	var d digits16
	d.setScalar(randomScalar(b, r))
	buf := make([]byte, unsafe.Sizeof(mult8{})+2*vectorAlign)
	skip := -uintptr(unsafe.Pointer(unsafe.SliceData(buf))) & (vectorAlign - 1)
	off := (*mult8)(unsafe.Pointer(&buf[skip+16]))
	aligned := &newIFMAScratch().m
	paired(b, 8, [2]string{"off16", "aligned"}, [2]func(){
		func() { off.scalarMult(&out, &p, &d) },
		func() { aligned.scalarMult(&out, &p, &d) },
	})
}

// mult8RoundsCalls is mult8Rounds with one call per point operation, as
// scalarMult ran its rounds before the fused loop.
func (m *mult8) mult8RoundsCalls(s *digits16) {
	for i := 62; i >= 0; i-- {
		for range 4 {
			pointDouble8(&m.acc, &m.acc, &m.tmp)
		}
		toExtended8(&m.ext, &m.acc)
		selectCached8(&m.q, &m.table, int64(s[i]))
		addCached8(&m.acc, &m.ext, &m.q, &m.tmp)
	}
}

// TestMult8Layout checks the offsets at which mult8Rounds reads mult8
// (internal/asmgen, the mult8* constants).
func TestMult8Layout(t *testing.T) {
	var m mult8
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"table", unsafe.Offsetof(m.table), 0},
		{"acc", unsafe.Offsetof(m.acc), 10240},
		{"ext", unsafe.Offsetof(m.ext), 11520},
		{"q", unsafe.Offsetof(m.q), 12800},
		{"tmp", unsafe.Offsetof(m.tmp), 14080},
	} {
		if f.got != f.want {
			t.Errorf("mult8.%s at offset %d, the assembly reads it at %d", f.name, f.got, f.want)
		}
	}
}

// TestMult8Rounds compares the fused rounds with the rounds made of one
// call per point operation, limb for limb, from random tables and
// accumulators (points of the curve, every lane different) and digits that
// take every value from -8 to 8 in every round position.
func TestMult8Rounds(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(59))
	n := 40
	if testing.Short() {
		n = 8
	}
	fused, calls := &newIFMAScratch().m, &newIFMAScratch().m
	for i := range n {
		var p, start extended8
		for j := range 8 {
			p.setLane(j, toExt(randomPoint(t, r)))
			start.setLane(j, toExt(randomPoint(t, r)))
		}
		toCached8(&fused.table[0], &p, &d2x8)
		for j := 1; j < 8; j++ {
			addCached8(&fused.acc, &p, &fused.table[j-1], &fused.tmp)
			toExtended8(&fused.ext, &fused.acc)
			toCached8(&fused.table[j], &fused.ext, &d2x8)
		}
		toCached8(&fused.q, &start, &d2x8)
		addCached8(&fused.acc, &identity8, &fused.q, &fused.tmp)
		*calls = *fused

		var d digits16
		for k := range d {
			d[k] = int8((k+i)%17 - 8)
			if i%2 == 1 {
				d[k] = int8(r.IntN(17) - 8)
			}
		}
		mult8Rounds(fused, &d)
		calls.mult8RoundsCalls(&d)
		if fused.acc != calls.acc {
			t.Fatalf("batch %d: the fused rounds differ from the calls", i)
		}
		checkLoose(t, "acc.X", &fused.acc.X)
		checkLoose(t, "acc.T", &fused.acc.T)
	}
}

// BenchmarkPairedMult8Rounds compares, paired, the 63 rounds of the
// eight-lane multiplication as one call per point operation and fused.
func BenchmarkPairedMult8Rounds(b *testing.B) {
	requireIFMA(b)
	r := rand.New(newRand(60))
	var p extended8
	for j := range 8 {
		p.setLane(j, toExt(randomPoint(b, r)))
	}
	var d digits16
	d.setScalar(randomScalar(b, r))
	m := &newIFMAScratch().m
	var out extended8
	m.scalarMult(&out, &p, &d)
	paired(b, 8, [2]string{"calls", "fused"}, [2]func(){
		func() { m.mult8RoundsCalls(&d) },
		func() { mult8Rounds(m, &d) },
	})
}

// TestPointFormulasAtLimbBounds runs the point operations on coordinates
// whose limbs sit at or near the bounds the assembly accepts (not points
// of the curve: the formulas are field arithmetic either way) and compares
// every lane with the same formulas on edwards25519's field. The folded
// products (mulFolded, sqrFolded) and bigP reach their largest values
// here, which random points of the curve rarely do.
func TestPointFormulasAtLimbBounds(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(61))
	n := 2000
	if testing.Short() {
		n = 200
	}
	var tmp [8]fe8
	for range n {
		var c completed8
		var p extended8
		var q cached8
		for _, v := range []*fe8{&c.X, &c.Y, &c.Z, &c.T, &p.X, &p.Y, &p.Z, &p.T, &q.YplusX, &q.YminusX, &q.Z, &q.T2d} {
			randomFe8(v, r)
		}
		var dbl, sum completed8
		var ext extended8
		pointDouble8(&dbl, &c, &tmp)
		addCached8(&sum, &p, &q, &tmp)
		toExtended8(&ext, &c)
		for _, v := range []*fe8{&dbl.X, &dbl.Y, &dbl.Z, &dbl.T, &sum.X, &sum.Y, &sum.Z, &sum.T, &ext.X, &ext.Y, &ext.Z, &ext.T} {
			checkLoose(t, "point coordinate", v)
		}
		for j := range 8 {
			var f field.Element
			mul := func(a, b field.Element) field.Element { return *f.Multiply(&a, &b) }
			add := func(a, b field.Element) field.Element { return *f.Add(&a, &b) }
			sub := func(a, b field.Element) field.Element { return *f.Subtract(&a, &b) }
			X, Y, Z, T := c.X.lane(j), c.Y.lane(j), c.Z.lane(j), c.T.lane(j)
			x, y, z := mul(X, T), mul(Y, Z), mul(Z, T)
			xx, yy, zz, s := mul(x, x), mul(y, y), mul(z, z), mul(add(x, y), add(x, y))
			dY, dZ := add(yy, xx), sub(yy, xx)
			dX, dT := sub(s, dY), sub(add(zz, zz), dZ)

			pX, pY, pZ, pT := p.X.lane(j), p.Y.lane(j), p.Z.lane(j), p.T.lane(j)
			pp, mm := mul(add(pY, pX), q.YplusX.lane(j)), mul(sub(pY, pX), q.YminusX.lane(j))
			tt, z2 := mul(pT, q.T2d.lane(j)), mul(pZ, q.Z.lane(j))
			z2 = add(z2, z2)

			for _, cmp := range []struct {
				name      string
				got, want field.Element
			}{
				{"double X", dbl.X.lane(j), dX}, {"double Y", dbl.Y.lane(j), dY},
				{"double Z", dbl.Z.lane(j), dZ}, {"double T", dbl.T.lane(j), dT},
				{"add X", sum.X.lane(j), sub(pp, mm)}, {"add Y", sum.Y.lane(j), add(pp, mm)},
				{"add Z", sum.Z.lane(j), add(z2, tt)}, {"add T", sum.T.lane(j), sub(z2, tt)},
				{"extended X", ext.X.lane(j), mul(X, T)}, {"extended Y", ext.Y.lane(j), mul(Y, Z)},
				{"extended Z", ext.Z.lane(j), mul(Z, T)}, {"extended T", ext.T.lane(j), mul(X, Y)},
			} {
				if cmp.got.Equal(&cmp.want) != 1 {
					t.Fatalf("lane %d: %s differs", j, cmp.name)
				}
			}
		}
	}
}

// lane sets p to lane j, for the tests, which compare it with
// edwards25519 through SetExtendedCoordinates.
func (v *extended8) lane(j int, p *extPoint) {
	p.X, p.Y, p.Z, p.T = v.X.lane(j), v.Y.lane(j), v.Z.lane(j), v.T.lane(j)
}

// TestMapper8 compares the eight-lane map with mapper, lane by lane, on
// random inputs and on the edges of SetBytes (zero, one, p - 1, values from
// p to 2^255 - 1, the top bit set), and requires both outcomes of
// SQRT_RATIO_M1 (u/v square or not) with both signs of root*t (the
// absolute value the non-square branch takes) to occur.
func TestMapper8(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(63))
	n := 400
	if testing.Short() {
		n = 60
	}
	edges := [][32]byte{{}, {1}}
	pMinus := func(d byte) (b [32]byte) { // p - d, little-endian
		b = [32]byte{0xed - d}
		for i := 1; i < 31; i++ {
			b[i] = 0xff
		}
		b[31] = 0x7f
		return b
	}
	edges = append(edges, pMinus(1), pMinus(0))
	for _, d := range []byte{1, 5, 18} {
		b := pMinus(0)
		b[0] += d // p + d, below 2^255
		edges = append(edges, b)
	}
	allOnes := [32]byte{}
	for i := range allOnes {
		allOnes[i] = 0xff // top bit set, ignored
	}
	edges = append(edges, allOnes)

	var seen [2][2]int
	var m mapper8
	var s [8]fe8
	var pw [2]fe8
	var tmp [6]fe8
	for i := range n {
		var in [8][32]byte
		for j := range in {
			if k := 8*i + j; k < len(edges) {
				in[j] = edges[k]
			} else {
				for b := range in[j] {
					in[j][b] = byte(r.Uint32())
				}
			}
			m.t.setLaneBytes(j, in[j][:])
		}
		m.start(&pw[0], &s)
		pw[1] = one8
		fePow22523_16(&pw, &pw, &tmp)
		var got extended8
		m.finish(&got, &pw[0], &s)
		for _, v := range []*fe8{&got.X, &got.Y, &got.Z, &got.T} {
			checkLoose(t, "map coordinate", v)
		}
		for j := range in {
			var ref mapper
			var w field.Element
			ref.start(&w, in[j][:])
			var root, rt field.Element
			rootSq := ref.sqrt
			square := rootSq.finish(&root, new(field.Element).Pow22523(&w))
			seen[square][rt.Multiply(&root, &ref.t).IsNegative()]++
			var want extPoint
			ref.start(&w, in[j][:])
			ref.finish(&want, new(field.Element).Pow22523(&w))
			var lane extPoint
			got.lane(j, &lane)
			if fromExt(&lane).Equal(fromExt(&want)) != 1 {
				t.Fatalf("MAP(%x), lane %d: eight-lane and mapper differ", in[j], j)
			}
		}
	}
	for sq := range 2 {
		for neg := range 2 {
			if seen[sq][neg] == 0 {
				t.Errorf("no input with square=%d, negative root*t=%d: %v", sq, neg, seen)
			}
		}
	}
}

// TestDecoder8 compares the eight-lane decoding with decoder, element by
// element, on groups of every size up to encodeGroup: valid encodings,
// random bytes (mostly not square), the identity, values from p up, the top
// bit set and odd (negative) spellings, in every lane position; it fails
// without the check on the sign of t or on a zero y.
func TestDecoder8(t *testing.T) {
	requireIFMA(t)
	r := rand.New(newRand(64))
	b := decodeBackend().(*ifmaBackend)
	k := testKey(t, 64)
	valid := make([]Element, encodeGroup)
	if err := k.BlindBatch(valid, randomDigests(encodeGroup, 64)); err != nil {
		t.Fatal(err)
	}
	pMinus := func(d byte) (e Element) {
		e[0] = 0xed - d
		for i := 1; i < 31; i++ {
			e[i] = 0xff
		}
		e[31] = 0x7f
		return e
	}
	var accepted, rejected int
	for round := range 3 * encodeGroup {
		n := 1 + round%encodeGroup
		in := make([]Element, n)
		for i := range in {
			in[i] = valid[r.IntN(len(valid))]
			switch r.IntN(8) {
			case 0:
				for j := range in[i] {
					in[i][j] = byte(r.Uint32())
				}
				in[i][31] &= 0x7f
				in[i][0] &^= 1 // canonical-looking: most fail the root
			case 1:
				in[i] = Element{}
			case 2:
				in[i] = pMinus(byte(r.IntN(3))) // p - 2, p - 1 (odd), p
			case 3:
				in[i][31] |= 0x80
			case 4:
				in[i][0] |= 1
			}
		}
		mask := b.decode(in)
		for i := range in {
			var d decoder
			var w field.Element
			var want extPoint
			d.start(&w, &in[i])
			ok := d.finish(&want, new(field.Element).Pow22523(&w))
			if got := mask>>i&1 == 1; got != ok {
				t.Fatalf("group of %d, element %d (%x): eight-lane %v, decoder %v", n, i, in[i], got, ok)
			}
			if !ok {
				rejected++
				continue
			}
			accepted++
			var got extPoint
			b.group[i/8].lane(i%8, &got)
			if fromExt(&got).Equal(fromExt(&want)) != 1 {
				t.Fatalf("group of %d, element %d: points differ", n, i)
			}
		}
	}
	if accepted == 0 || rejected == 0 {
		t.Errorf("accepted %d, rejected %d", accepted, rejected)
	}
}

// lane returns lane j as a field element, for the tests: laneBytes and
// canonicalLane are the reference in Go for feCanonical8. It accepts any
// limbs below 2^63.
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
