package shuffle

import (
	"crypto/aes"
	"crypto/cipher"
	"slices"
	"testing"
)

func TestKeyedIsPermutationOverTheAESCTRKeystream(t *testing.T) {
	key := [32]byte{1, 2, 3}
	got, err := Keyed(key, 5000)
	if err != nil {
		t.Fatal(err)
	}
	checkBijection(t, got)

	// The definition, spelled out with the keystream made by XORing zeros.
	block, _ := aes.NewCipher(key[:])
	keystream := make([]byte, 1<<20)
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(keystream, keystream)
	want, err := Permutation(&sliceReader{b: keystream}, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatal("Keyed differs from Permutation over the AES-256-CTR keystream of its key")
	}

	again, _ := Keyed(key, 5000)
	other, _ := Keyed([32]byte{1, 2, 4}, 5000)
	if !slices.Equal(got, again) {
		t.Error("the same key gave two permutations")
	}
	if slices.Equal(got, other) {
		t.Error("two keys gave the same permutation")
	}
}

type sliceReader struct{ b []byte }

func (r *sliceReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
