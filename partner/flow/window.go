package flow

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// sendParts sends parts start, start+1, ... of one leg while the index is
// below end(), with up to k of them in flight, and calls acked for each
// in increasing index order once it and every part before it succeeded.
//
// The window is anchored on the oldest part not yet acknowledged: part i
// starts only once every part up to i-k has been acknowledged. So the
// parts this run leaves at the clean room past the first part it lacks
// lie less than k places after it, however the run stops; that is what
// makes a resume from the clean room's count of parts exact (resumeFrom).
// A semaphore of k would not do: one slow part would let any number of
// later ones through.
//
// The first part that fails cancels the others (they are abandoned
// mid-stream; the clean room records only parts whose trailer verified),
// and its error is returned, not the errors the cancelled parts return
// after it; when parent ended, the error wraps parent.Err(). end is
// evaluated before each part starts, so a leg that learns its number of
// parts from its first part can say start+1 until then.
func sendParts(parent context.Context, k, start int, end func() int, send func(ctx context.Context, part int) error, acked func(part int) error) error {
	ctx, cancel := context.WithCancel(parent)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil
	}
	type flight struct {
		part int
		done chan error
	}
	var window []flight // parts in flight, oldest first
	for next := start; ; {
		for len(window) < k && next < end() && !failed() {
			f := flight{part: next, done: make(chan error, 1)}
			window = append(window, f)
			wg.Go(func() {
				err := send(ctx, f.part)
				if err != nil {
					fail(err)
				}
				f.done <- err
			})
			next++
		}
		if len(window) == 0 {
			break
		}
		f := window[0]
		window = window[1:]
		if <-f.done != nil {
			break
		}
		if err := acked(f.part); err != nil {
			fail(err)
			break
		}
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if stopped := parent.Err(); first != nil && stopped != nil && !errors.Is(first, stopped) {
		// Interrupted, the first part to fail may have failed otherwise
		// (a pipe closed under it): the interruption is what the caller
		// must hear, to say how to resume.
		return fmt.Errorf("%w (%w)", first, stopped)
	}
	return first
}
