package flow

// blockLen is the number of values in each block of a blocks: 64 Ki, so
// that a block of digests is 2 MiB.
const blockLen = 1 << 16

// blocks is an append-only sequence stored in fixed-size blocks. A flat
// slice grown by append copies itself at every growth and leaves each
// outgrown array behind, so that near the end of a large input the old and
// the new array are both live: about twice the data at the worst moment,
// which the collector's heap target then doubles again. Blocks never move
// once allocated; only the small slice of block headers grows.
type blocks[T any] struct {
	b [][]T
	n int
}

func (s *blocks[T]) append(v T) {
	if s.n%blockLen == 0 {
		// The first block grows with append, so a small input does not
		// pay for a whole block.
		c := 0
		if s.n > 0 {
			c = blockLen
		}
		s.b = append(s.b, make([]T, 0, c))
	}
	last := &s.b[len(s.b)-1]
	*last = append(*last, v)
	s.n++
}

// at returns the i-th value appended.
func (s *blocks[T]) at(i int) T { return s.b[i/blockLen][i%blockLen] }
