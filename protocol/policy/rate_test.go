package policy

import (
	"math"
	"testing"
)

func TestFormatRate(t *testing.T) {
	percent, decile := Default(), Default()
	decile.RateGranularity = Decile
	tests := []struct {
		matched, total int64
		percent        string
		decile         string
	}{
		{0, 1000, "0%", "0%"},
		{9, 1000, "0%", "0%"},
		{10, 1000, "1%", "0%"},
		{379, 1000, "37%", "30%"},
		{1, 3, "33%", "30%"},
		{2, 3, "66%", "60%"}, // 66.67: rounded down, not to 67
		{799, 1000, "79%", "70%"},
		{800, 1000, "80%", "80%"},
		{850, 1000, "85%", "80%"},   // exactly 85% is not above it
		{851, 1000, ">85%", ">85%"}, // 85.1%
		{8501, 10000, ">85%", ">85%"},
		{999, 1000, ">85%", ">85%"},
		{1000, 1000, ">85%", ">85%"},
		{6, 7, ">85%", ">85%"}, // 85.71%
		{-5, 1000, "0%", "0%"},
		{1500, 1000, ">85%", ">85%"},
		{5, 0, NoRate, NoRate},
		{0, -1, NoRate, NoRate},
		// 100·matched overflows int64 here: the arithmetic must not.
		{math.MaxInt64 / 2, math.MaxInt64, "49%", "40%"},
		{math.MaxInt64 / 100 * 85, math.MaxInt64, "84%", "80%"},
		{math.MaxInt64, math.MaxInt64, ">85%", ">85%"},
	}
	for _, tc := range tests {
		if got := percent.FormatRate(tc.matched, tc.total); got != tc.percent {
			t.Errorf("percent FormatRate(%d, %d) = %q, want %q", tc.matched, tc.total, got, tc.percent)
		}
		if got := decile.FormatRate(tc.matched, tc.total); got != tc.decile {
			t.Errorf("decile FormatRate(%d, %d) = %q, want %q", tc.matched, tc.total, got, tc.decile)
		}
	}
}

// TestFormatRateExhaustive checks every matched/total pair for small totals
// against exact rational arithmetic done differently (cross-multiplying).
func TestFormatRateExhaustive(t *testing.T) {
	p := Default()
	for total := int64(1); total <= 300; total++ {
		for matched := int64(0); matched <= total; matched++ {
			want := ">85%"
			if 100*matched <= 85*total {
				pct := int64(0)
				for 100*matched >= (pct+1)*total {
					pct++
				}
				want = itoa(pct) + "%"
			}
			if got := p.FormatRate(matched, total); got != want {
				t.Fatalf("FormatRate(%d, %d) = %q, want %q", matched, total, got, want)
			}
		}
	}
}

func itoa(n int64) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestReleasable(t *testing.T) {
	p := Default()
	if p.Releasable(49) || !p.Releasable(50) || p.Releasable(-1) {
		t.Error("Releasable must suppress counts below k = 50")
	}
}
