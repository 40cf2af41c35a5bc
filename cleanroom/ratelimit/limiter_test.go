package ratelimit

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// clock is a manually advanced time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newLimiter(t *testing.T, l Limit) (*Limiter, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	lim, err := New(l, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return lim, c
}

func TestBurstThenRefuse(t *testing.T) {
	lim, c := newLimiter(t, Limit{Rate: 2, Burst: 3})
	for i := range 3 {
		if ok, _ := lim.Allow("acme"); !ok {
			t.Fatalf("call %d refused within the burst", i)
		}
	}
	ok, wait := lim.Allow("acme")
	if ok {
		t.Fatal("call past the burst allowed")
	}
	if wait != 500*time.Millisecond {
		t.Fatalf("retry after %v, want 500ms at 2 tokens/s", wait)
	}
	c.advance(499 * time.Millisecond)
	// Float rounding may add a few nanoseconds, never take any away.
	if ok, wait := lim.Allow("acme"); ok || wait < time.Millisecond || wait > time.Millisecond+time.Microsecond {
		t.Fatalf("after 499ms: ok=%v wait=%v, want refused with 1ms left", ok, wait)
	}
	c.advance(time.Millisecond)
	if ok, _ := lim.Allow("acme"); !ok {
		t.Fatal("refused once a token was earned")
	}
	if ok, _ := lim.Allow("acme"); ok {
		t.Fatal("the earned token was spent twice")
	}
}

func TestRefillIsCappedAtBurst(t *testing.T) {
	lim, c := newLimiter(t, Limit{Rate: 10, Burst: 2})
	lim.Allow("a")
	c.advance(time.Hour)
	allowed := 0
	for range 10 {
		if ok, _ := lim.Allow("a"); ok {
			allowed++
		}
	}
	if allowed != 2 {
		t.Fatalf("allowed %d calls after a long idle time, want the burst (2)", allowed)
	}
}

func TestKeysAreIndependent(t *testing.T) {
	lim, _ := newLimiter(t, Limit{Rate: 1, Burst: 1})
	if ok, _ := lim.Allow("a"); !ok {
		t.Fatal("first call of a refused")
	}
	if ok, _ := lim.Allow("a"); ok {
		t.Fatal("second call of a allowed")
	}
	if ok, _ := lim.Allow("b"); !ok {
		t.Fatal("b refused because a spent its tokens")
	}
}

func TestClockGoingBackwardsEarnsNothing(t *testing.T) {
	lim, c := newLimiter(t, Limit{Rate: 1, Burst: 1})
	lim.Allow("a")
	c.advance(-time.Hour)
	if ok, _ := lim.Allow("a"); ok {
		t.Fatal("a clock step backwards refilled the bucket")
	}
	c.advance(time.Hour) // back where it was: still less than a second later
	if ok, _ := lim.Allow("a"); ok {
		t.Fatal("returning to the original time refilled the bucket")
	}
	c.advance(time.Second)
	if ok, _ := lim.Allow("a"); !ok {
		t.Fatal("refused a full second after the last token was spent")
	}
}

func TestPruneDropsOnlyFullBuckets(t *testing.T) {
	lim, c := newLimiter(t, Limit{Rate: 1, Burst: 5})
	for i := range pruneFloor - 1 {
		lim.Allow(fmt.Sprint("idle-", i))
	}
	for range 5 {
		lim.Allow("busy")
	}
	c.advance(4500 * time.Millisecond) // idle buckets full again; busy still 0.5 short
	lim.Allow("newcomer")              // triggers the sweep
	if _, ok := lim.buckets["idle-0"]; ok {
		t.Error("a full bucket survived the sweep")
	}
	if _, ok := lim.buckets["busy"]; !ok {
		t.Error("a partly spent bucket was dropped: its debt would be forgiven")
	}
	if n := len(lim.buckets); n != 2 {
		t.Errorf("%d buckets after the sweep, want 2 (busy, newcomer)", n)
	}
	if lim.pruneAt != pruneFloor {
		t.Errorf("next sweep at %d buckets, want %d", lim.pruneAt, pruneFloor)
	}
}

func TestInvalidLimits(t *testing.T) {
	for _, l := range []Limit{
		{},
		{Rate: 1},
		{Burst: 1},
		{Rate: -1, Burst: 1},
		{Rate: 1, Burst: -1},
		{Rate: math.NaN(), Burst: 1},
		{Rate: math.Inf(1), Burst: 1},
	} {
		if _, err := New(l, time.Now); err != ErrInvalidLimit {
			t.Errorf("New(%+v) = %v, want ErrInvalidLimit", l, err)
		}
	}
}

func TestConcurrentCallsNeverExceedTheBurst(t *testing.T) {
	lim, _ := newLimiter(t, Limit{Rate: 1e-9, Burst: 100})
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if ok, _ := lim.Allow("shared"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != 100 {
		t.Fatalf("allowed %d of 400 concurrent calls, want exactly the burst (100)", allowed)
	}
}
