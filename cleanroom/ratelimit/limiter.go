package ratelimit

import (
	"errors"
	"math"
	"sync"
	"time"
)

// ErrInvalidLimit reports a Limit that would never allow a call.
var ErrInvalidLimit = errors.New("ratelimit: rate and burst must be positive")

// Limit is the shape of every bucket of a Limiter.
type Limit struct {
	Rate  float64 // tokens added per second
	Burst int     // bucket capacity, and the number of calls allowed at once
}

// Validate reports whether l can allow anything.
func (l Limit) Validate() error {
	if !(l.Rate > 0) || math.IsInf(l.Rate, 0) || l.Burst < 1 {
		return ErrInvalidLimit
	}
	return nil
}

// pruneFloor is the number of buckets below which the map is never swept.
const pruneFloor = 1024

// Limiter is a set of token buckets, one per key. It is safe for concurrent
// use.
type Limiter struct {
	limit Limit
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	pruneAt int // sweep full buckets when the map grows past this size
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a Limiter whose buckets follow l. now is the clock (time.Now
// in production).
func New(l Limit, now func() time.Time) (*Limiter, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &Limiter{limit: l, now: now, buckets: make(map[string]*bucket), pruneAt: pruneFloor}, nil
}

// Allow takes a token from key's bucket. When the bucket is empty it returns
// false and how long until a token will be available.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		l.maybePrune(now)
		b = &bucket{tokens: float64(l.limit.Burst), last: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := (1 - b.tokens) / l.limit.Rate
	return false, time.Duration(math.Ceil(wait * float64(time.Second)))
}

// refill credits b with the tokens earned since its last visit. A clock that
// goes backwards earns nothing rather than a negative amount.
func (l *Limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(float64(l.limit.Burst), b.tokens+elapsed.Seconds()*l.limit.Rate)
		b.last = now
	}
}

// maybePrune drops the buckets that have refilled completely once the map
// has grown past pruneAt; the next sweep happens when it has doubled again.
func (l *Limiter) maybePrune(now time.Time) {
	if len(l.buckets) < l.pruneAt {
		return
	}
	for key, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.limit.Burst) {
			delete(l.buckets, key)
		}
	}
	l.pruneAt = max(pruneFloor, 2*len(l.buckets))
}
