//go:build amd64 && !purego

package blind

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519/field"
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
		}
	}
}

// TestFieldOps8 compares each eight-lane operation with edwards25519's
// field, lane by lane, on random and boundary limbs, and checks that the
// results stay within the bounds the next operation needs.
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
