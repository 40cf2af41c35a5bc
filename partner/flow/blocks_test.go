package flow

import "testing"

func TestBlocks(t *testing.T) {
	var s blocks[uint32]
	const n = 2*blockLen + 3 // a partial third block
	for i := range n {
		s.append(uint32(i) * 7)
	}
	if s.n != n || len(s.b) != 3 {
		t.Fatalf("len %d in %d blocks, want %d in 3", s.n, len(s.b), n)
	}
	for _, i := range []int{0, 1, blockLen - 1, blockLen, 2 * blockLen, n - 1} {
		if got := s.at(i); got != uint32(i)*7 {
			t.Errorf("at(%d) = %d, want %d", i, got, i*7)
		}
	}
	if cap(s.b[1]) != blockLen {
		t.Errorf("a later block has capacity %d, want %d", cap(s.b[1]), blockLen)
	}
}
