package tcf

import "math/bits"

// MaxVendorID is the largest vendor id a TC string can carry (16 bits).
const MaxVendorID = 1<<16 - 1

// A VendorSet is a set of vendor ids, stored as a bitset: bit id-1 holds
// vendor id. The zero value is the empty set.
type VendorSet struct {
	words []uint64
	max   int
}

// newVendorSet returns an empty set able to hold ids 1..maxID.
func newVendorSet(maxID int) VendorSet {
	return VendorSet{words: make([]uint64, (maxID+63)/64), max: maxID}
}

// Has reports whether id is in the set.
func (s VendorSet) Has(id int) bool {
	return id >= 1 && id <= s.max && s.words[(id-1)/64]>>((id-1)%64)&1 == 1
}

// Max is the section's MaxVendorId for a decoded vendor section, and the
// highest id for a publisher restriction. No id above it is in the set.
func (s VendorSet) Max() int { return s.max }

// Len is the number of ids in the set.
func (s VendorSet) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// IDs lists the ids in ascending order; it is never nil, so it encodes as []
// in JSON.
func (s VendorSet) IDs() []int {
	ids := make([]int, 0, s.Len())
	for i, w := range s.words {
		for ; w != 0; w &= w - 1 {
			ids = append(ids, 64*i+bits.TrailingZeros64(w)+1)
		}
	}
	return ids
}

// addRange adds ids first..last (1 <= first <= last <= MaxVendorID), growing
// the set when needed.
func (s *VendorSet) addRange(first, last int) {
	if last > s.max {
		s.max = last
		if need := (last + 63) / 64; need > len(s.words) {
			s.words = append(s.words, make([]uint64, need-len(s.words))...)
		}
	}
	for b := first - 1; b < last; {
		i, off := b/64, b%64
		n := min(64-off, last-b) // bits to set in word i
		s.words[i] |= (^uint64(0) >> (64 - n)) << off
		b += n
	}
}
