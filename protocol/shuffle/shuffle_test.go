package shuffle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/iotest"
)

// stream returns a deterministic random stream, so that failures reproduce.
func stream(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func TestPermutationIsBijection(t *testing.T) {
	r := stream(1)
	for _, n := range []int{0, 1, 2, 3, 10, 1000, 2049, 5000} { // 2049 draws cross the 8 KiB buffer
		perm, err := Permutation(r, n)
		if err != nil {
			t.Fatal(err)
		}
		if len(perm) != n {
			t.Fatalf("n=%d: length %d", n, len(perm))
		}
		checkBijection(t, perm)
	}
}

func TestPermutationTrivialLengths(t *testing.T) {
	// Nothing to draw: the reader must not even be touched.
	broken := iotest.ErrReader(errors.New("must not be read"))
	for n, want := range [][]uint32{{}, {0}} {
		perm, err := Permutation(broken, n)
		if err != nil || !slices.Equal(perm, want) {
			t.Errorf("n=%d: %v, %v", n, perm, err)
		}
	}
	if _, err := Permutation(stream(2), -1); !errors.Is(err, ErrLength) {
		t.Errorf("n=-1: %v", err)
	}
	if big := int64(MaxN) + 1; big <= math.MaxInt {
		if _, err := Permutation(stream(2), int(big)); !errors.Is(err, ErrLength) {
			t.Errorf("n=MaxN+1: %v", err)
		}
	}
}

func TestPermutationFailingReader(t *testing.T) {
	boom := errors.New("entropy pool on fire")
	tests := []struct {
		name  string
		r     io.Reader
		cause error
	}{
		{"error at once", iotest.ErrReader(boom), boom},
		{"runs out", bytes.NewReader(make([]byte, 10)), io.ErrUnexpectedEOF},
		{"empty", bytes.NewReader(nil), io.EOF},
		{"error after data", io.MultiReader(bytes.NewReader(make([]byte, 100)), iotest.ErrReader(boom)), boom},
	}
	for _, tc := range tests {
		perm, err := Permutation(tc.r, 1000)
		if perm != nil || !errors.Is(err, ErrRandomness) || !errors.Is(err, tc.cause) {
			t.Errorf("%s: perm %v, err %v; want ErrRandomness wrapping %v", tc.name, perm != nil, err, tc.cause)
		}
	}
}

// TestPermutationShortReads: readers may return less than asked; the
// permutation must be the one the same bytes give when read in one go.
func TestPermutationShortReads(t *testing.T) {
	want, err := Permutation(stream(3), 3000)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]io.Reader{
		"one byte":  iotest.OneByteReader(stream(3)),
		"half":      iotest.HalfReader(stream(3)),
		"data+EOF":  iotest.DataErrReader(io.LimitReader(stream(3), 1<<20)),
		"timeout":   iotest.TimeoutReader(stream(3)), // second read fails
		"unchanged": stream(3),
	} {
		got, err := Permutation(r, 3000)
		if name == "timeout" {
			if !errors.Is(err, iotest.ErrTimeout) {
				t.Errorf("%s: err = %v", name, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: differs from reading in one go (err %v)", name, err)
		}
	}
}

// words is a reader of little-endian 32-bit words.
func words(ws ...uint32) *bytes.Reader {
	var b []byte
	for _, w := range ws {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return bytes.NewReader(b)
}

// TestBelowRejects checks the rejection step on inputs where it must fire:
// for bound 3, 2^32 mod 3 = 1, so x = 0 (low half 0) is rejected; for bound
// 2^31 + 1 the threshold is 2^31 - 1 and x = 1 (low half 2^31 + 1) is kept.
func TestBelowRejects(t *testing.T) {
	tests := []struct {
		bound uint32
		in    []uint32
		want  uint32
		used  int // words consumed
	}{
		{3, []uint32{0, math.MaxUint32}, 2, 2},
		{3, []uint32{0, 0, 1 << 31}, 1, 3},
		{3, []uint32{1 << 30}, 0, 1},
		{1<<31 + 1, []uint32{0, 1}, 0, 2},
		{1<<31 + 1, []uint32{2, 7}, 3, 2}, // 2 * bound = 2^32 + 2: low half 2, rejected
		{1<<31 + 1, []uint32{math.MaxUint32}, 1 << 31, 1},
	}
	for _, tc := range tests {
		r := words(tc.in...)
		got, err := newSource(r, 1).below(tc.bound)
		if err != nil || got != tc.want {
			t.Errorf("below(%d) on %v = %d, %v; want %d", tc.bound, tc.in, got, err, tc.want)
		}
		if used := len(tc.in) - r.Len()/4; used != tc.used {
			t.Errorf("below(%d) on %v consumed %d words, want %d", tc.bound, tc.in, used, tc.used)
		}
	}
}

// chiSquare returns the chi-square statistic of counts against equal
// expected frequencies.
func chiSquare(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	want := float64(total) / float64(len(counts))
	var x2 float64
	for _, c := range counts {
		d := float64(c) - want
		x2 += d * d / want
	}
	return x2
}

// permutationsOf3 counts the 6 permutations of 3 over runs shuffles.
func permutationsOf3(runs int, shuffle func() []uint32) []int {
	counts := make([]int, 6)
	for range runs {
		p := shuffle()
		// Lehmer code: a distinct index in 0..5 for each permutation.
		counts[2*int(p[0])+btoi(p[1] > p[2])]++
	}
	return counts
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// 20.52 is the 0.999 quantile of chi-square with 5 degrees of freedom.
const chi2Critical5 = 20.52

func TestUniformOverPermutationsOf3(t *testing.T) {
	r := stream(4)
	counts := permutationsOf3(60_000, func() []uint32 {
		p, err := Permutation(r, 3)
		if err != nil {
			t.Fatal(err)
		}
		return p
	})
	if x2 := chiSquare(counts); x2 > chi2Critical5 {
		t.Fatalf("counts %v: chi-square %.1f > %.2f", counts, x2, chi2Critical5)
	}
}

// TestChiSquareDetectsBias runs the same check on the classic wrong shuffle
// (swap each position with any position), whose 27 equally likely paths
// cannot spread evenly over 6 permutations: the test must reject it.
func TestChiSquareDetectsBias(t *testing.T) {
	r := rand.New(stream(5))
	counts := permutationsOf3(60_000, func() []uint32 {
		p := []uint32{0, 1, 2}
		for i := range p {
			j := r.IntN(3)
			p[i], p[j] = p[j], p[i]
		}
		return p
	})
	if x2 := chiSquare(counts); x2 <= chi2Critical5 {
		t.Fatalf("biased shuffle passed: counts %v, chi-square %.1f", counts, x2)
	}
}

// TestPositionFrequencies: for n = 10, each input index lands at each
// position equally often. The 10x10 table has 81 degrees of freedom; 126 is
// about its 0.999 quantile.
func TestPositionFrequencies(t *testing.T) {
	const n, runs = 10, 20_000
	r := stream(6)
	counts := make([]int, n*n)
	for range runs {
		p, err := Permutation(r, n)
		if err != nil {
			t.Fatal(err)
		}
		for pos, idx := range p {
			counts[pos*n+int(idx)]++
		}
	}
	if x2 := chiSquare(counts); x2 > 126 {
		t.Fatalf("chi-square %.1f > 126", x2)
	}
}

// checkBijection fails unless perm holds each of 0..len(perm)-1 once.
func checkBijection(t *testing.T, perm []uint32) {
	t.Helper()
	seen := make([]bool, len(perm))
	for i, p := range perm {
		if int(p) >= len(perm) || seen[p] {
			t.Fatalf("n=%d: perm[%d] = %d is out of range or repeated", len(perm), i, p)
		}
		seen[p] = true
	}
}

func BenchmarkPermutation(b *testing.B) {
	for _, n := range []int{1000, 1_000_000} {
		b.Run(itoa(n), func(b *testing.B) {
			r := stream(7)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Permutation(r, n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/element")
		})
	}
}

func itoa(n int) string {
	if n >= 1_000_000 {
		return "1M"
	}
	return "1k"
}
