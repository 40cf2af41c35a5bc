package dp

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestScale(t *testing.T) {
	tests := []struct {
		epsilon     float64
		sensitivity int
		s, t        uint64
		err         error
	}{
		{1, 1, 1, 1, nil},
		{0.5, 2, 1, 4, nil},
		{1.5, 2, 3, 4, nil},
		{20, 1, 20, 1, nil},
		{1.0 / 3, 1, 333333333, 1000000000, nil},
		{0.1, 1, 1, 10, nil},
		// One ulp below 0.1 must round down, never up to 0.1.
		{math.Nextafter(0.1, 0), 1, 99999999, 1000000000, nil},
		{EpsilonQuantum, MaxSensitivity, 1, 1000000000 * MaxSensitivity, nil},
		{MaxEpsilon, 1, 1000, 1, nil},
		{EpsilonQuantum / 2, 1, 0, 0, ErrEpsilon},
		{0, 1, 0, 0, ErrEpsilon},
		{-1, 1, 0, 0, ErrEpsilon},
		{math.NaN(), 1, 0, 0, ErrEpsilon},
		{math.Inf(1), 1, 0, 0, ErrEpsilon},
		{math.Nextafter(MaxEpsilon, math.Inf(1)), 1, 0, 0, ErrEpsilon},
		{1, 0, 0, 0, ErrSensitivity},
		{1, -1, 0, 0, ErrSensitivity},
		{1, MaxSensitivity + 1, 0, 0, ErrSensitivity},
	}
	for _, tc := range tests {
		s, tt, err := scale(tc.epsilon, tc.sensitivity)
		if !errors.Is(err, tc.err) || s != tc.s || tt != tc.t {
			t.Errorf("scale(%v, %d) = %d, %d, %v; want %d, %d, %v", tc.epsilon, tc.sensitivity, s, tt, err, tc.s, tc.t, tc.err)
		}
	}
}

func TestBernoulliExp(t *testing.T) {
	st := mustSource(t, testSeed()).stream("bernoulli")
	const n = 40000
	for _, g := range []struct{ num, den uint64 }{{0, 1}, {1, 2}, {1, 1}, {7, 10}} {
		hits := 0
		for range n {
			if st.bernoulliExp(g.num, g.den) {
				hits++
			}
		}
		p := math.Exp(-float64(g.num) / float64(g.den))
		sd := math.Sqrt(p * (1 - p) / n)
		if got := float64(hits) / n; math.Abs(got-p) > 5*sd+1e-12 {
			t.Errorf("bernoulliExp(%d/%d) frequency %.4f, want %.4f", g.num, g.den, got, p)
		}
	}
}

// TestDiscreteLaplaceDistribution compares empirical moments and point
// probabilities with the closed forms: for α = exp(-ε/Δ),
// P(X = x) = (1-α)/(1+α)·α^|x|, mean 0 and variance 2α/(1-α)².
func TestDiscreteLaplaceDistribution(t *testing.T) {
	tests := []struct {
		epsilon     float64
		sensitivity int
		samples     int
	}{
		{1, 1, 200000},
		{0.1, 1, 50000},
		{1.5, 2, 50000}, // s = 3, t = 4: exercises floor(X/s) with s > 1
		{0.3, 1, 50000},
		{5, 1, 50000},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("eps=%v,sens=%d", tc.epsilon, tc.sensitivity), func(t *testing.T) {
			s, tt, err := scale(tc.epsilon, tc.sensitivity)
			if err != nil {
				t.Fatal(err)
			}
			st := mustSource(t, testSeed()).stream(t.Name())
			n := float64(tc.samples)
			counts := map[int64]int{}
			var sum, sumSq float64
			for range tc.samples {
				x := st.discreteLaplace(s, tt)
				counts[x]++
				sum += float64(x)
				sumSq += float64(x) * float64(x)
			}
			alpha := math.Exp(-tc.epsilon / float64(tc.sensitivity))
			variance := 2 * alpha / ((1 - alpha) * (1 - alpha))
			mean := sum / n
			if math.Abs(mean) > 5*math.Sqrt(variance/n) {
				t.Errorf("mean %.4f, want 0 (variance %.3f)", mean, variance)
			}
			// The sample variance has a relative standard error of about
			// sqrt(5/n) (kurtosis near 6); 5% is over 10 of them at 200k.
			if got := sumSq/n - mean*mean; math.Abs(got-variance) > 0.05*variance+0.01 {
				t.Errorf("variance %.4f, want %.4f", got, variance)
			}
			for x := int64(-3); x <= 3; x++ {
				p := (1 - alpha) / (1 + alpha) * math.Pow(alpha, math.Abs(float64(x)))
				sd := math.Sqrt(p * (1 - p) / n)
				if got := float64(counts[x]) / n; math.Abs(got-p) > 5*sd+1e-4 {
					t.Errorf("P(%d) = %.4f, want %.4f", x, got, p)
				}
			}
		})
	}
}
