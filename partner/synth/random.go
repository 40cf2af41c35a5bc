package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// Every random choice comes from a stream named by a label and derived
// from the seed, so that the streams are independent and one of them can
// be replayed without the others: the plan of a side (which rows are
// invalid, duplicates...) is counted before its rows are written.

// streamSeed derives the 32-byte seed of the stream label.
func streamSeed(seed uint64, label string) [32]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	return sha256.Sum256([]byte("blindjoin/synth v1\x00" + label + "\x00" + string(b[:])))
}

// newStream returns the ChaCha8 stream label of seed.
func newStream(seed uint64, label string) *rand.Rand {
	return rand.New(rand.NewChaCha8(streamSeed(seed, label)))
}

// keyed draws values that depend only on a key and a number, in any
// order: a person's name must be the same in both files however the rows
// are ordered. It reseeds one PCG per number, which is far cheaper than a
// ChaCha8 per number, after mixing the number so that neighbouring
// numbers give unrelated streams. A keyed is not safe for concurrent use:
// each generator takes its own copy.
type keyed struct {
	k1, k2 uint64
	src    *rand.PCG
	*rand.Rand
}

func newKeyed(seed uint64, label string) *keyed {
	s := streamSeed(seed, label)
	return keyedOf(binary.BigEndian.Uint64(s[0:8]), binary.BigEndian.Uint64(s[8:16]))
}

func keyedOf(k1, k2 uint64) *keyed {
	src := rand.NewPCG(0, 0)
	return &keyed{k1: k1, k2: k2, src: src, Rand: rand.New(src)}
}

// clone returns a keyed drawing the same values, with its own state.
func (k *keyed) clone() *keyed { return keyedOf(k.k1, k.k2) }

// at reseeds the stream for number n and returns it.
func (k *keyed) at(n int) *rand.Rand {
	k.src.Seed(k.k1, mix64(k.k2^uint64(n)))
	return k.Rand
}

// mix64 is the SplitMix64 finalizer, a bijection on 64-bit values.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// choice is an item with a relative weight.
type choice[T any] struct {
	v T
	w int
}

// pick draws an item of cs with probability proportional to its weight.
func pick[T any](r *rand.Rand, cs []choice[T]) T {
	total := 0
	for _, c := range cs {
		total += c.w
	}
	n := r.IntN(total)
	for _, c := range cs[:len(cs)-1] {
		if n < c.w {
			return c.v
		}
		n -= c.w
	}
	return cs[len(cs)-1].v
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// oneOf draws an element of s uniformly.
func oneOf[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }
