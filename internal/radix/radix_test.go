package radix

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// entry is shaped like the clean room's join entries: a digest first,
// then a row that orders records with equal digests.
type entry struct {
	digest [16]byte
	row    uint64
}

func entryKey(e *entry) uint64 { return binary.BigEndian.Uint64(e.digest[:]) }

func compareEntry(a, b entry) int {
	if c := cmp.Compare(entryKey(&a), entryKey(&b)); c != 0 {
		return c
	}
	if c := cmp.Compare(binary.BigEndian.Uint64(a.digest[8:]), binary.BigEndian.Uint64(b.digest[8:])); c != 0 {
		return c
	}
	return cmp.Compare(a.row, b.row)
}

// fill makes n entries whose digests come from spread: random, or
// crafted to defeat the radix passes.
func fill(n int, rng *rand.Rand, spread func(i int, d *[16]byte)) []entry {
	s := make([]entry, n)
	for i := range s {
		spread(i, &s[i].digest)
		s[i].row = rng.Uint64()
	}
	return s
}

func TestSortMatchesComparisonSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// A slice, not a map: the cases draw from one generator in a fixed
	// order, so a failure replays.
	spreads := []struct {
		name   string
		spread func(i int, d *[16]byte)
	}{
		{"random", func(_ int, d *[16]byte) {
			binary.BigEndian.PutUint64(d[:], rng.Uint64())
			binary.BigEndian.PutUint64(d[8:], rng.Uint64())
		}},
		{"all equal", func(int, *[16]byte) {}},
		{"key equal, tail random", func(_ int, d *[16]byte) {
			binary.BigEndian.PutUint64(d[8:], rng.Uint64())
		}},
		{"only the key's last byte varies", func(_ int, d *[16]byte) { d[7] = byte(rng.IntN(256)) }},
		{"two values", func(i int, d *[16]byte) { d[0] = byte(i % 2) }},
		{"one record apart", func(i int, d *[16]byte) { d[3] = byte(min(i, 1)) }},
		{"few distinct keys", func(_ int, d *[16]byte) {
			binary.BigEndian.PutUint64(d[:], uint64(rng.IntN(5))<<40)
		}},
		{"sorted", func(i int, d *[16]byte) { binary.BigEndian.PutUint64(d[:], uint64(i)<<20) }},
		{"reversed", func(i int, d *[16]byte) { binary.BigEndian.PutUint64(d[:], ^uint64(i)<<20) }},
	}
	for _, c := range spreads {
		for _, n := range []int{0, 1, 2, smallGroup - 1, smallGroup, smallGroup + 1, 300, 5000, 70000} {
			t.Run(fmt.Sprintf("%s/%d", c.name, n), func(t *testing.T) {
				s := fill(n, rng, c.spread)
				want := slices.Clone(s)
				slices.SortFunc(want, compareEntry)
				Sort(s, entryKey, compareEntry)
				if !slices.Equal(s, want) {
					t.Fatalf("radix order differs from the comparison sort's")
				}
			})
		}
	}
}

func BenchmarkSort(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := fill(1<<20, rng, func(_ int, d *[16]byte) {
		binary.BigEndian.PutUint64(d[:], rng.Uint64())
		binary.BigEndian.PutUint64(d[8:], rng.Uint64())
	})
	s := make([]entry, len(src))
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			copy(s, src)
			Sort(s, entryKey, compareEntry)
		}
	})
	b.Run("pdqsort", func(b *testing.B) {
		for b.Loop() {
			copy(s, src)
			slices.SortFunc(s, compareEntry)
		}
	})
}
