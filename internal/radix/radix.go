// Package radix sorts large slices of records whose order starts with
// uniformly spread bytes (hash digests, blinded elements) faster than a
// comparison sort: a most-significant-byte-first radix sort (American flag
// sort: in place, one byte of a 64-bit key per pass) that hands the small
// groups it leaves to slices.SortFunc. On a million random 56-byte join
// entries it does about two passes and sorts groups of a few records,
// where pdqsort makes some twenty comparisons per record through a
// comparison function (BenchmarkSort).
//
// Nothing depends on the keys being random: equal or clustered keys cost a
// pass over their group per byte, eight at most, before the comparison
// sort takes it, so a party that uploads crafted values slows its own
// sort by a constant factor, no more. The sort is not stable. It imports
// only std: a leaf both sides may use (imports_test.go).
package radix

import "slices"

// smallGroup is the size under which a group goes to the comparison sort:
// below it, a counting pass costs more than the comparisons it saves.
const smallGroup = 48

// Sort sorts s by cmp. key gives each record the 64 bits cmp compares
// first, read big-endian: whenever key(a) < key(b), cmp(a, b) must be
// negative. Records with equal keys are ordered by cmp alone.
func Sort[E any](s []E, key func(*E) uint64, cmp func(a, b E) int) {
	sortByte(s, key, cmp, 56)
}

// sortByte orders s by the key's byte at shift and below, its higher bytes
// being equal across s.
func sortByte[E any](s []E, key func(*E) uint64, cmp func(a, b E) int, shift int) {
	for len(s) > smallGroup && shift >= 0 {
		var count [256]int
		for i := range s {
			count[byte(key(&s[i])>>shift)]++
		}
		if count[byte(key(&s[0])>>shift)] == len(s) {
			// One group: nothing to move at this byte.
			shift -= 8
			continue
		}
		var start, next [256]int
		sum := 0
		for b, c := range count {
			start[b], next[b] = sum, sum
			sum += c
		}
		// Each record is swapped straight into its group, so every record
		// moves once at most.
		for b := range 256 {
			end := start[b] + count[b]
			for next[b] < end {
				d := byte(key(&s[next[b]]) >> shift)
				if int(d) != b {
					s[next[b]], s[next[d]] = s[next[d]], s[next[b]]
				}
				next[d]++
			}
		}
		for b := range 256 {
			sortByte(s[start[b]:start[b]+count[b]], key, cmp, shift-8)
		}
		return
	}
	slices.SortFunc(s, cmp)
}
