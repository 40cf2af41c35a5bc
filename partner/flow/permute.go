package flow

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/shuffle"
)

// shuffleLabel separates the upload permutation's key from every other
// use of the session key.
const shuffleLabel = "blindjoin-partner-upload-shuffle-v1"

// uploadPermutation returns the order of our upload: upload position i
// carries kept row perm[i]. It is drawn by protocol/shuffle from an
// AES-256-CTR keystream (a deterministic generator) keyed by
// HMAC-SHA256(session key, label || session id), so that a resumed run
// rebuilds it from the key alone, and nobody without the key can.
func uploadPermutation(key *blind.Key, sessionID [16]byte, n int) ([]uint32, error) {
	m := hmac.New(sha256.New, key.Bytes())
	m.Write([]byte(shuffleLabel))
	m.Write(sessionID[:])
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("flow: upload permutation: %w", err)
	}
	keystream := cipher.StreamReader{S: cipher.NewCTR(block, make([]byte, aes.BlockSize)), R: zeros{}}
	perm, err := shuffle.Permutation(keystream, n)
	if err != nil {
		return nil, fmt.Errorf("flow: upload permutation: %w", err)
	}
	return perm, nil
}

// zeros is an endless stream of zero bytes; XORed with a CTR keystream it
// yields the keystream itself.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
