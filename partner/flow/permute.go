package flow

import (
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
// carries kept row perm[i]. It is shuffle.Keyed (Fisher-Yates over an
// AES-256-CTR keystream) with the key HMAC-SHA256(session key, label ||
// session id), so that a resumed run rebuilds it from the key alone, and
// nobody without the key can.
func uploadPermutation(key *blind.Key, sessionID [16]byte, n int) ([]uint32, error) {
	m := hmac.New(sha256.New, key.Bytes())
	m.Write([]byte(shuffleLabel))
	m.Write(sessionID[:])
	perm, err := shuffle.Keyed([32]byte(m.Sum(nil)), n)
	if err != nil {
		return nil, fmt.Errorf("flow: upload permutation: %w", err)
	}
	return perm, nil
}
