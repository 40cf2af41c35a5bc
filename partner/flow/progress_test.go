package flow

import (
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLinesThrottleAndSummarize(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	var out strings.Builder
	l := NewLines(&out, 5*time.Second, clk.now)
	l.Start("upload", "records", 10_000)
	for range 10 {
		clk.advance(time.Second)
		l.Add(1000)
	}
	l.Done()
	want := "upload: 5.0k/10.0k records (50%), 1.0k/s, ETA 5s\n" +
		"upload: 10.0k/10.0k records (100%), 1.0k/s\n" +
		"upload: done, 10.0k records in 10s\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
	l.Done() // a second Done writes nothing
	l.Start("read", "bytes", -1)
	clk.advance(6 * time.Second)
	l.Add(123)
	if !strings.HasSuffix(out.String(), "read: 123 bytes, 20/s\n") {
		t.Fatalf("unknown total: %q", out.String())
	}
}

func TestBarRedrawsOneLine(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	var out strings.Builder
	b := NewBar(&out, 80, clk.now)
	b.Start("re-blind", "records", 2000)
	clk.advance(50 * time.Millisecond)
	b.Add(10) // too soon to redraw
	clk.advance(2 * time.Second)
	b.Add(990)
	b.Done()
	text := out.String()
	if strings.Count(text, "\r") != 3 || !strings.HasSuffix(text, "\x1b[K\n") || strings.Count(text, "\n") != 1 {
		t.Fatalf("draws: %q", text)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\r")
	mid := lines[2]
	if !strings.Contains(mid, "1.0k/2.0k records (50%)") || !strings.Contains(mid, "ETA 2s") || !strings.Contains(mid, "[") {
		t.Fatalf("middle draw: %q", mid)
	}
	if last := lines[3]; !strings.Contains(last, "(100%)") {
		t.Fatalf("final draw: %q", last)
	}
	for _, l := range lines[1:] {
		if n := len(strings.TrimSuffix(l, "\x1b[K")); n > 80 {
			t.Fatalf("line of %d columns: %q", n, l)
		}
	}
}

func TestHighWaterCountsOnce(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	var out strings.Builder
	l := NewLines(&out, time.Hour, clk.now)
	l.Start("upload", "records", 100)
	h := &highWater{p: l}
	h.advance(40)
	h.advance(20) // a retry producing the part again
	h.advance(60)
	h.advance(100)
	if l.done != 100 {
		t.Fatalf("done = %d, want 100", l.done)
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1.0k", 123456: "123.5k", 2_500_000: "2.5M", 3_000_000_000: "3.0G"} {
		if got := human(n); got != want {
			t.Errorf("human(%d) = %q, want %q", n, got, want)
		}
	}
}
