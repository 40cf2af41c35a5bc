package dp

import (
	"errors"
	"fmt"
	"testing"
)

func TestNoiseDeterministic(t *testing.T) {
	a, b := mustSource(t, testSeed()), mustSource(t, testSeed())
	other := mustSource(t, DeriveSeed([]byte("another secret"), []byte("s1")))
	differs, differsFromOther := false, false
	first, err := a.Noise("overlap", 0.05, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		label := fmt.Sprintf("segment:%d", i)
		x, err := a.Noise(label, 0.05, 1)
		if err != nil {
			t.Fatal(err)
		}
		y, _ := b.Noise(label, 0.05, 1)
		z, _ := other.Noise(label, 0.05, 1)
		again, _ := a.Noise(label, 0.05, 1)
		if x != y || x != again {
			t.Fatalf("label %s: noise %d, %d, %d from the same seed", label, x, y, again)
		}
		differs = differs || x != first
		differsFromOther = differsFromOther || x != z
	}
	// At ε = 0.05 two independent draws are equal with probability about
	// 2.5%, so 50 equal pairs would mean the label or seed is ignored.
	if !differs {
		t.Error("noise does not depend on the label")
	}
	if !differsFromOther {
		t.Error("noise does not depend on the seed")
	}
}

func TestNoiseRejectsBadParameters(t *testing.T) {
	s := mustSource(t, testSeed())
	if _, err := s.Noise("x", 0, 1); !errors.Is(err, ErrEpsilon) {
		t.Errorf("epsilon 0: %v", err)
	}
	if _, err := s.Noise("x", 1, 0); !errors.Is(err, ErrSensitivity) {
		t.Errorf("sensitivity 0: %v", err)
	}
}

func TestReleaseClamps(t *testing.T) {
	s := mustSource(t, testSeed())
	const bound = 60
	sawZero, sawBound := false, false
	for i := range 300 {
		label := fmt.Sprintf("c%d", i)
		for _, trueCount := range []int64{0, 3, bound - 3, bound} {
			// ε = 0.05 gives noise with a standard deviation near 28.
			got, err := s.Release(label, trueCount, bound, 0.05, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got < 0 || got > bound {
				t.Fatalf("Release(%d) = %d outside [0, %d]", trueCount, got, bound)
			}
			noise, _ := s.Noise(label, 0.05, 1)
			if want := min(max(trueCount+noise, 0), bound); got != want {
				t.Fatalf("Release(%d) = %d, want %d (noise %d)", trueCount, got, want, noise)
			}
			sawZero = sawZero || got == 0
			sawBound = sawBound || got == bound
		}
	}
	if !sawZero || !sawBound {
		t.Error("clamping never happened; the test does not exercise it")
	}
}

func TestReleaseNegligibleNoise(t *testing.T) {
	s := mustSource(t, testSeed())
	for _, c := range []int64{0, 1, 49, 50, 1 << 40} {
		// α = exp(-1000): the noise is 0 with certainty in float64 terms.
		if got, err := s.Release("overlap", c, 1<<40, MaxEpsilon, 1); err != nil || got != c {
			t.Errorf("Release(%d) = %d, %v", c, got, err)
		}
	}
}

func TestReleaseRejectsImpossibleCounts(t *testing.T) {
	s := mustSource(t, testSeed())
	for _, c := range []struct{ count, bound int64 }{{-1, 10}, {11, 10}, {0, -1}} {
		if _, err := s.Release("x", c.count, c.bound, 1, 1); !errors.Is(err, ErrCount) {
			t.Errorf("Release(%d, bound %d): err = %v", c.count, c.bound, err)
		}
	}
}

// The expected values come from an independent Python implementation of the
// stream and sampler as doc.go describes them, so another implementation
// that follows the documentation reproduces the server's noise.
func TestNoiseKnownAnswers(t *testing.T) {
	s := mustSource(t, testSeed())
	tests := []struct {
		epsilon     float64
		sensitivity int
		want        []int64 // for labels segment:0 .. segment:11
	}{
		// 0.3 is slightly below 3/10 in float64, so it quantizes to
		// 299999999e-9 (rounded down), not 0.3.
		{0.3, 1, []int64{3, -2, 5, -6, -6, 3, -2, 0, 4, -2, -2, -7}},
		{1.5, 2, []int64{-2, -1, 1, -2, -1, 0, 0, 1, 2, 0, 2, -3}},
		{0.05, 1, []int64{-34, -26, 32, 31, -3, 7, -9, 20, 27, 0, 14, -11}},
	}
	for _, tc := range tests {
		for i, want := range tc.want {
			got, err := s.Noise(fmt.Sprintf("segment:%d", i), tc.epsilon, tc.sensitivity)
			if err != nil || got != want {
				t.Errorf("Noise(segment:%d, %v, %d) = %d, %v; want %d", i, tc.epsilon, tc.sensitivity, got, err, want)
			}
		}
	}
}
