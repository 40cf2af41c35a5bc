package tcf

import "math/bits"

// Flags is a set of small numbered flags, as the TC string's fixed bit fields
// encode them: purposes (1-24), special features (1-12), custom purposes
// (1-63). Bit id-1 holds flag id, so purpose 1 is the least significant bit.
type Flags uint64

// Has reports whether flag id is set; ids outside 1..64 are never set.
func (f Flags) Has(id int) bool {
	return id >= 1 && id <= 64 && f>>(id-1)&1 == 1
}

// With returns f with flag id set; ids outside 1..64 leave f unchanged.
func (f Flags) With(id int) Flags {
	if id < 1 || id > 64 {
		return f
	}
	return f | 1<<(id-1)
}

// IDs lists the set flags in ascending order; it is never nil, so it encodes
// as [] in JSON.
func (f Flags) IDs() []int {
	ids := make([]int, 0, bits.OnesCount64(uint64(f)))
	for v := uint64(f); v != 0; v &= v - 1 {
		ids = append(ids, bits.TrailingZeros64(v)+1)
	}
	return ids
}

// flags reads an n-bit field whose first bit is flag 1.
func (r *bitReader) flags(n int, field string) Flags {
	v := r.uint(n, field)
	if n == 0 {
		return 0
	}
	return Flags(bits.Reverse64(v) >> (64 - n))
}
