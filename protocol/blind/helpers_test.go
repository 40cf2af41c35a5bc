package blind

import (
	"crypto"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
)

const crypto512 = crypto.SHA512

// testKey returns the key with scalar v, a small integer.
func testKey(t testing.TB, v byte) *Key {
	t.Helper()
	var s [32]byte
	s[0] = v
	k, err := ParseKey(s[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newRand returns a deterministic stream, so that a failure reproduces.
func newRand(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// toExt and fromExt move points between edwards25519 and the batch paths.
// fromExt goes through SetExtendedCoordinates, so every test that reads a
// batch path's point back checks that it lies on the curve.
func toExt(p *edwards25519.Point) *extPoint {
	var q extPoint
	q.fromPoint(p)
	return &q
}

func fromExt(p *extPoint) *edwards25519.Point {
	var q edwards25519.Point
	p.toPoint(&q)
	return &q
}

// extPoints converts pts for the batch paths.
func extPoints(pts ...edwards25519.Point) []extPoint {
	out := make([]extPoint, len(pts))
	for i := range pts {
		out[i].fromPoint(&pts[i])
	}
	return out
}
