package blind

import (
	"testing"

	"filippo.io/edwards25519"
)

// TestExtPointAdd holds add to edwards25519's Point.Add coordinate for
// coordinate (it is the same formula, so the same representative, not only
// the same point), on random points, doublings, the 4-torsion and sums in
// place.
func TestExtPointAdd(t *testing.T) {
	r := newRand(43)
	var pts []edwards25519.Point
	for range 50 {
		var u [64]byte
		_, _ = r.Read(u[:])
		s, _ := edwards25519.NewScalar().SetUniformBytes(u[:])
		pts = append(pts, *new(edwards25519.Point).ScalarBaseMult(s))
	}
	pts = append(pts, torsion4[:]...)
	for i := range pts {
		for _, j := range []int{i, (i + 1) % len(pts), len(pts) - 1 - i} {
			want := new(edwards25519.Point).Add(&pts[i], &pts[j])
			var got extPoint
			got.add(toExt(&pts[i]), toExt(&pts[j]))
			if got != *toExt(want) {
				t.Fatalf("add(%d, %d) differs from Point.Add", i, j)
			}
			// In place, on either side.
			p, q := toExt(&pts[i]), toExt(&pts[j])
			p.add(p, q)
			q2 := toExt(&pts[j])
			q2.add(toExt(&pts[i]), q2)
			if *p != got || *q2 != got {
				t.Fatalf("add(%d, %d) in place differs", i, j)
			}
		}
	}
}
