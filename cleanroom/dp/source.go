package dp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// MinSeedSize is the shortest seed NewSource accepts. DeriveSeed returns 32
// bytes; anything much shorter is a wiring mistake that would make the noise
// guessable.
const MinSeedSize = 16

// DeriveSeed binds the noise of a session to a server secret and to what
// was uploaded: HMAC-SHA256(secret, "blindjoin-dp-v1 seed" || for each input:
// uint32_be(len) || input). Pass the session id and the digests of both
// uploads; the same inputs always give the same seed, different uploads give
// unrelated noise, and no party can predict it without the secret.
func DeriveSeed(secret []byte, inputs ...[]byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("blindjoin-dp-v1 seed"))
	var n [4]byte
	for _, in := range inputs {
		binary.BigEndian.PutUint32(n[:], uint32(len(in)))
		m.Write(n[:])
		m.Write(in)
	}
	return m.Sum(nil)
}

// Source draws noise from a seed. It is immutable, so one Source may be used
// from several goroutines.
type Source struct {
	seed []byte
}

// NewSource returns a Source for seed (see DeriveSeed); it keeps a copy.
func NewSource(seed []byte) (*Source, error) {
	if len(seed) < MinSeedSize {
		return nil, ErrSeed
	}
	return &Source{seed: append([]byte(nil), seed...)}, nil
}

// stream returns the independent uniform stream of label (see the package
// documentation for its exact definition).
func (s *Source) stream(label string) *stream {
	m := hmac.New(sha256.New, s.seed)
	m.Write([]byte("blindjoin-dp-v1 label"))
	m.Write([]byte{0})
	m.Write([]byte(label))
	return &stream{mac: hmac.New(sha256.New, m.Sum(nil)), pos: sha256.Size}
}

// stream is HMAC-SHA256 in counter mode, read as big-endian uint64 words.
type stream struct {
	mac   hash.Hash
	ctr   uint64
	block [sha256.Size]byte
	pos   int // next unread byte of block; len(block) means empty
}

func (st *stream) word() uint64 {
	if st.pos == len(st.block) {
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], st.ctr)
		st.ctr++
		st.mac.Reset()
		st.mac.Write(c[:])
		st.mac.Sum(st.block[:0])
		st.pos = 0
	}
	w := binary.BigEndian.Uint64(st.block[st.pos:])
	st.pos += 8
	return w
}

// uniform returns an exactly uniform integer in [0, n), n >= 1.
func (st *stream) uniform(n uint64) uint64 {
	if n <= 1 {
		return 0
	}
	// 2^64 mod n, computed in uint64 arithmetic as (2^64 - n) mod n. Words
	// below it are the incomplete last copy of [0, n) and are rejected.
	reject := -n % n
	for {
		if w := st.word(); w >= reject {
			return w % n
		}
	}
}

// bernoulli returns true with probability num/den exactly (0 <= num <= den).
func (st *stream) bernoulli(num, den uint64) bool {
	return st.uniform(den) < num
}
