package shuffle

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/bits"
)

// ErrBuckets is returned for a bucket count that is not a power of two
// between 1 and 2^32.
var ErrBuckets = errors.New("shuffle: bucket count must be a power of two between 1 and 2^32")

// BucketsFor returns the bucket count for a permutation of at most n
// elements with about perBucket elements per bucket at most: the smallest
// power of two B with n <= B*perBucket (1 for n <= perBucket).
func BucketsFor(n, perBucket uint64) int {
	if perBucket == 0 || n <= perBucket {
		return 1
	}
	return 1 << bits.Len64((n-1)/perBucket)
}

// Bucketed is a keyed permutation that is computed one bucket at a time,
// in memory proportional to a bucket, for sets too large to permute at
// once (Rao and Sandelius's shuffle):
//
//  1. every input position i gets a label L(i) in 0..B-1, the low bits of
//     the i-th 32-bit word of the AES-256-CTR keystream of
//     HMAC-SHA256(key, "labels");
//  2. the output lists bucket 0's inputs, then bucket 1's, and so on;
//  3. within bucket k, its m inputs (in ascending input order) are
//     permuted by Keyed(HMAC-SHA256(key, "bucket" || k), m).
//
// It is uniform. Take the labels to be independent and uniform (B is a
// power of two, so the low bits of a uniform word are uniform: no modulo
// bias) and the bucket permutations independent and uniform. For any
// arrangement π of the n inputs, the output is π exactly when, for the
// bucket sizes c_0..c_{B-1} that the labels produce, the inputs π places
// in the first c_0 slots are labelled 0, the next c_1 are labelled 1, and
// so on, and each bucket's permutation puts its members in π's order. So
//
//	P(π) = Σ over (c_0..c_{B-1}) with Σ c_k = n of B^-n · Π_k 1/c_k!
//
// which does not depend on π: every arrangement is equally likely, exactly
// as with one Fisher-Yates shuffle. With AES in place of the uniform
// source, telling the output apart from a uniform permutation is as hard
// as telling AES from random, as for Keyed.
//
// Nothing in it depends on the elements, only on their positions: the
// buckets never reveal anything about an identifier.
//
// With one bucket (B = 1) the permutation is Keyed(key, n) itself, so a
// small set is permuted exactly as before buckets existed.
type Bucketed struct {
	key     [32]byte
	buckets int
}

// NewBucketed returns the bucketed permutation of key over buckets
// buckets (a power of two; BucketsFor gives the usual count).
func NewBucketed(key [32]byte, buckets int) (*Bucketed, error) {
	if buckets < 1 || uint64(buckets) > 1<<32 || buckets&(buckets-1) != 0 {
		return nil, ErrBuckets
	}
	return &Bucketed{key: key, buckets: buckets}, nil
}

// Buckets returns the bucket count.
func (b *Bucketed) Buckets() int { return b.buckets }

// Labels returns the labels of input positions 0, 1, 2, ... in order.
func (b *Bucketed) Labels() *Labels {
	l := &Labels{mask: uint32(b.buckets - 1)}
	l.off = len(l.buf)
	if b.buckets > 1 {
		block, err := aes.NewCipher(b.derive([]byte("labels")))
		if err != nil {
			panic(err) // unreachable: a 32-byte key is always valid
		}
		l.stream = cipher.NewCTR(block, make([]byte, aes.BlockSize))
	}
	return l
}

// Order returns the permutation of bucket k's m members: the j-th output
// position of the bucket (which starts after all members of the buckets
// before it) holds member order[j], members being numbered 0..m-1 in
// ascending input order.
func (b *Bucketed) Order(k, m int) ([]uint32, error) {
	if b.buckets == 1 {
		return Keyed(b.key, m)
	}
	return Keyed([32]byte(b.derive(binary.BigEndian.AppendUint32([]byte("bucket"), uint32(k)))), m)
}

// derive is HMAC-SHA256(key, label).
func (b *Bucketed) derive(label []byte) []byte {
	m := hmac.New(sha256.New, b.key[:])
	m.Write(label)
	return m.Sum(nil)
}

// Labels yields the bucket labels of consecutive input positions.
type Labels struct {
	mask   uint32
	stream cipher.Stream // nil with one bucket: every label is 0
	buf    [4096]byte
	off    int // buf[off:] is unread keystream
}

// Next returns the label of the next input position.
func (l *Labels) Next() int {
	if l.stream == nil {
		return 0
	}
	if l.off == len(l.buf) {
		clear(l.buf[:])
		l.stream.XORKeyStream(l.buf[:], l.buf[:])
		l.off = 0
	}
	w := binary.LittleEndian.Uint32(l.buf[l.off:])
	l.off += 4
	return int(w & l.mask)
}
