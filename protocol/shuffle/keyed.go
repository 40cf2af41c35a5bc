package shuffle

import (
	"crypto/aes"
	"crypto/cipher"
)

// Keyed returns the permutation of 0..n-1 that Permutation draws from the
// AES-256-CTR keystream of key (zero IV). The same key always gives the
// same permutation, which is what lets a party rebuild its upload order
// when it resumes and the clean room re-derive a relay order instead of
// storing it; without the key the order is as unpredictable as AES output.
// Callers derive key with HMAC from their secret and a label, so that each
// use has its own key.
func Keyed(key [32]byte, n int) ([]uint32, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err // unreachable: a 32-byte key is always valid
	}
	stream := cipher.StreamReader{S: cipher.NewCTR(block, make([]byte, aes.BlockSize)), R: zeros{}}
	return Permutation(stream, n)
}

// zeros is an endless stream of zero bytes; XORed with a CTR keystream it
// yields the keystream itself.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
