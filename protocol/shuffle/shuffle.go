package shuffle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxN is the largest permutation length: indices must fit a uint32.
const MaxN = math.MaxUint32

var (
	// ErrLength is returned for a length below 0 or above MaxN.
	ErrLength = errors.New("shuffle: permutation length out of range")
	// ErrRandomness wraps the error of a failing random source.
	ErrRandomness = errors.New("shuffle: reading randomness")
)

// Permutation returns a uniformly random permutation of 0..n-1 drawn from
// rand, with the convention of the package doc: output position i holds
// input index perm[i]. It reads rand with io.ReadFull, so short reads are
// fine; a read error is returned wrapped in ErrRandomness, and no
// permutation with it.
func Permutation(rand io.Reader, n int) ([]uint32, error) {
	if n < 0 || n > MaxN {
		return nil, ErrLength
	}
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = uint32(i)
	}
	src := newSource(rand, max(n-1, 0))
	// Fisher-Yates: position i takes a uniform pick among positions 0..i.
	for i := n - 1; i > 0; i-- {
		j, err := src.below(uint32(i) + 1)
		if err != nil {
			return nil, err
		}
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm, nil
}

// source turns a byte stream into uniform integers. Its buffer holds at
// most 8 KiB, and no more than the draws still to come need (4 bytes each,
// short of rejections), so that a small permutation neither allocates nor
// drains more than it uses.
type source struct {
	r      io.Reader
	draws  int // bounded integers still to draw
	buf    []byte
	off, n int // buf[off:n] is unread
}

func newSource(r io.Reader, draws int) *source {
	return &source{r: r, draws: draws, buf: make([]byte, min(8192, 4*max(draws, 1)))}
}

func (s *source) uint32() (uint32, error) {
	if s.off+4 > s.n {
		s.n = min(len(s.buf), 4*max(s.draws, 1))
		s.off = 0
		if _, err := io.ReadFull(s.r, s.buf[:s.n]); err != nil {
			s.n = 0
			return 0, fmt.Errorf("%w: %w", ErrRandomness, err)
		}
	}
	v := binary.LittleEndian.Uint32(s.buf[s.off:])
	s.off += 4
	return v, nil
}

// below returns a uniform integer in [0, bound), bound > 0, by Lemire's
// method ("Fast Random Integer Generation in an Interval", 2019): the high
// half of x*bound for a uniform 32-bit x, rejecting the x whose low half
// falls below 2^32 mod bound, which would make some results more likely
// than others.
func (s *source) below(bound uint32) (uint32, error) {
	x, err := s.uint32()
	if err != nil {
		return 0, err
	}
	m := uint64(x) * uint64(bound)
	if uint32(m) < bound { // only then can the low half be below the threshold
		threshold := -bound % bound // 2^32 mod bound, in uint32 arithmetic
		for uint32(m) < threshold {
			if x, err = s.uint32(); err != nil {
				return 0, err
			}
			m = uint64(x) * uint64(bound)
		}
	}
	s.draws--
	return uint32(m >> 32), nil
}
