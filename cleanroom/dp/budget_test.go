package dp

import (
	"math"
	"testing"
	"time"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		epsilon float64
		queries int
		want    float64
	}{
		{1, 1, 1},
		{1, 4, 0.25},
		{3, Queries(2), 1},
		{1, 0, 0},
		{1, -1, 0},
		{0, 3, 0},
		{-1, 3, 0},
		{math.NaN(), 3, 0},
		{math.Inf(1), 3, 0},
	}
	for _, tc := range tests {
		if got := Split(tc.epsilon, tc.queries); got != tc.want {
			t.Errorf("Split(%v, %d) = %v, want %v", tc.epsilon, tc.queries, got, tc.want)
		}
	}
	if Queries(0) != 1 || Queries(3) != 4 {
		t.Error("Queries must count the overlap plus one count per segment")
	}
}

func TestSpent(t *testing.T) {
	now := time.Date(2025, 6, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		entries []Spend
		want    float64
	}{
		{"empty", nil, 0},
		{"inside", []Spend{{now.Add(-time.Hour), 1}, {now.Add(-29 * 24 * time.Hour), 0.5}}, 1.5},
		{"exactly one window old is expired", []Spend{{now.Add(-Window), 1}, {now.Add(-Window + time.Nanosecond), 2}}, 2},
		{"older than the window", []Spend{{now.Add(-31 * 24 * time.Hour), 5}, {now, 1}}, 1},
		{"future spends count", []Spend{{now.Add(time.Hour), 1}}, 1},
		{"negative entry fails closed", []Spend{{now, 1}, {now, -0.5}}, math.Inf(1)},
		{"NaN entry fails closed even when old", []Spend{{now.Add(-2 * Window), math.NaN()}}, math.Inf(1)},
		{"infinite entry", []Spend{{now, math.Inf(1)}}, math.Inf(1)},
	}
	for _, tc := range tests {
		if got := Spent(tc.entries, now); got != tc.want {
			t.Errorf("%s: Spent = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFits(t *testing.T) {
	third := Split(1, 3)
	tests := []struct {
		budget, spent, epsilon float64
		want                   bool
	}{
		{1, 0, 1, true},
		{1, 0, 0.5, true},
		{1, 0.5, 0.5, true},
		{1, third + third, third, true}, // float rounding must not refuse the last third
		{1, 0.5, 0.5000001, false},
		{1, 1, 1e-6, false},
		{10, 9.99, 0.02, false},
		{1, 0, 0, false},
		{1, 0, -1, false},
		{0, 0, 0.1, false},
		{1, -0.5, 1, false},
		{1, math.NaN(), 0.1, false},
		{1, math.Inf(1), 0.1, false},
		{math.Inf(1), 0, 0.1, false},
		{math.NaN(), 0, 0.1, false},
		{1, 0, math.NaN(), false},
	}
	for _, tc := range tests {
		if got := Fits(tc.budget, tc.spent, tc.epsilon); got != tc.want {
			t.Errorf("Fits(%v, %v, %v) = %v, want %v", tc.budget, tc.spent, tc.epsilon, got, tc.want)
		}
	}
}
