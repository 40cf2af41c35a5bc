package blind

import (
	"crypto"
	"math/rand/v2"
	"testing"
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
