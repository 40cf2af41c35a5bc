package policy

import (
	"math/bits"
	"strconv"
)

// RateCap is the match rate above which only ">85%" is released (IAB
// PAIR): near-total rates would tell a party that almost all of its rows are
// in the other's set.
const RateCap = 85

// NoRate is what FormatRate returns when total is not positive.
const NoRate = "n/a"

// FormatRate formats matched/total with p's granularity. The rate is
// rounded down, never up: "percent" gives whole percents ("37%"), "decile"
// multiples of 10% ("30%"). Any rate above 85% (exactly, not after
// rounding) is ">85%", so 100% is never shown. A rate over no rows is
// undefined: total <= 0 gives NoRate rather than a misleading "0%". matched
// is clamped to [0, total], so a noisy count cannot produce a rate outside
// 0..100%.
func (p Policy) FormatRate(matched, total int64) string {
	if total <= 0 {
		return NoRate
	}
	m, t := uint64(min(max(matched, 0), total)), uint64(total)
	// 100·m and 85·t need up to 71 bits: compare and divide in 128 bits.
	mh, ml := bits.Mul64(m, 100)
	th, tl := bits.Mul64(t, RateCap)
	if mh > th || (mh == th && ml > tl) {
		return ">" + strconv.Itoa(RateCap) + "%"
	}
	pct, _ := bits.Div64(mh, ml, t) // mh < t since m <= t, so no overflow
	if p.RateGranularity == Decile {
		pct -= pct % 10
	}
	return strconv.FormatUint(pct, 10) + "%"
}
