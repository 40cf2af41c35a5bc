package dp

import (
	"math"
	"time"
)

// Window is the rolling period of an advertiser–partner pair's budget: a
// spend stops counting Window after it was made.
const Window = 30 * 24 * time.Hour

// tolerance is the relative slack Fits grants for float rounding: three
// releases of Split(1, 3) add up to slightly more than 1 in float64, yet
// spend exactly the budget.
const tolerance = 1e-9

// Queries returns how many counts a release of the overlap and segments
// per-segment counts makes. Each has sensitivity 1 (one user moves the
// overlap by at most 1 and each segment count by at most 1), so the release
// spends its epsilon over Queries(segments) sequentially composed queries.
func Queries(segments int) int {
	return segments + 1
}

// Split returns the epsilon of each of queries counts released under a
// total of epsilon (sequential composition). It returns 0, which Noise
// rejects, when queries < 1 or epsilon is not a positive finite number.
func Split(epsilon float64, queries int) float64 {
	if queries < 1 || !(epsilon > 0) || math.IsInf(epsilon, 1) {
		return 0
	}
	return epsilon / float64(queries)
}

// Spend records one release charged to a pair's budget.
type Spend struct {
	Time    time.Time
	Epsilon float64
}

// Spent returns the epsilon spent within the Window that ends at now. A
// spend counts while now - Window < Time; spends dated after now count too,
// so a clock step backwards never frees budget. A spend whose Epsilon is
// negative or not a number makes the result +Inf: a corrupt ledger exhausts
// the budget rather than enlarging it.
func Spent(entries []Spend, now time.Time) float64 {
	start := now.Add(-Window)
	total := 0.0
	for _, e := range entries {
		if !(e.Epsilon >= 0) {
			return math.Inf(1)
		}
		if e.Time.After(start) {
			total += e.Epsilon
		}
	}
	return total
}

// Fits reports whether a release of epsilon fits in budget after spent has
// been used. Any argument that is not a finite number in range is refused.
func Fits(budget, spent, epsilon float64) bool {
	if !finite(budget) || !finite(spent) || !finite(epsilon) || budget <= 0 || spent < 0 || epsilon <= 0 {
		return false
	}
	return spent+epsilon <= budget*(1+tolerance)
}

func finite(x float64) bool {
	return !math.IsNaN(x) && !math.IsInf(x, 0)
}
