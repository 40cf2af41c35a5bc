// Package memtest measures the memory a piece of code holds while it
// runs, for tests that show that it does not grow with the input (a
// results file of millions of records, say). Only tests import it.
package memtest

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// PeakLiveHeap runs fn and returns the largest live heap (what a garbage
// collection found reachable) seen while it ran, less the live heap
// before. Collections run often meanwhile (GOGC 5), so that the peak is
// what fn holds, not its garbage; the live heap is sampled every 100
// microseconds, and once more after a collection when fn returns.
func PeakLiveHeap(fn func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := live()
	var peak uint64
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak = max(peak, live())
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	runtime.GC()
	peak = max(peak, live())
	return max(peak, base) - base
}
