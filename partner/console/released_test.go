package console

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFiguresCacheIsBounded: the figures of more sessions than maxFigures
// do not all stay; the least recently used go first.
func TestFiguresCacheIsBounded(t *testing.T) {
	c := newFiguresCache()
	loads := 0
	get := func(id string) {
		t.Helper()
		if _, err := c.get(context.Background(), id, func() (figures, error) { loads++; return figures{}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	for i := range maxFigures {
		get(fmt.Sprint(i))
	}
	get("0") // now the most recently used: "1" goes next
	get("new")
	if n := c.shown.Len(); n != maxFigures {
		t.Fatalf("%d figures kept, want %d", n, maxFigures)
	}
	loads = 0
	get("0")
	get("new")
	if loads != 0 {
		t.Errorf("the figures used last were loaded again %d times", loads)
	}
	get("1")
	if loads != 1 {
		t.Error("the least recently used figures were not the ones evicted")
	}
}

// TestFiguresCacheLoadsOnce: views of one session at once load it once;
// a failed load is not remembered.
func TestFiguresCacheLoadsOnce(t *testing.T) {
	c := newFiguresCache()
	var loads atomic.Int32
	release := make(chan struct{})
	load := func() (figures, error) {
		loads.Add(1)
		<-release
		return figures{}, nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { c.get(context.Background(), "s", load) })
	}
	time.Sleep(50 * time.Millisecond) // let them all find the load under way
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("8 views at once loaded %d times, want 1", n)
	}
	failed := errors.New("unreachable")
	if _, err := c.get(context.Background(), "t", func() (figures, error) { return figures{}, failed }); !errors.Is(err, failed) {
		t.Fatalf("the load's error: %v", err)
	}
	if c.shown.Contains("t") {
		t.Error("a failed load was remembered")
	}
}
