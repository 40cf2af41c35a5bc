package flow

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// NewProgress returns the usual reporter for f: a redrawn bar with rate
// and ETA when f is a terminal, plain lines every five seconds otherwise
// (a log file, a pipe, CI).
func NewProgress(f *os.File) Progress {
	if term.IsTerminal(int(f.Fd())) {
		width := 80
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 40 {
			width = w
		}
		return NewBar(f, width, time.Now)
	}
	return NewLines(f, 5*time.Second, time.Now)
}

// meter is the state both reporters share: the current phase, its
// amounts and timing.
type meter struct {
	mu          sync.Mutex
	now         func() time.Time
	phase, unit string
	total, done int64
	start, last time.Time
	active      bool
	waitingFor  string // the wait being shown (Waiter); empty when none
}

func (m *meter) begin(phase, unit string, total int64) {
	m.phase, m.unit, m.total, m.done = phase, unit, total, 0
	m.start = m.now()
	m.last = m.start
	m.active = true
}

// status words the phase's state: amounts, percent, rate and ETA.
func (m *meter) status(now time.Time) string {
	var b strings.Builder
	elapsed := now.Sub(m.start).Seconds()
	if m.total > 0 {
		fmt.Fprintf(&b, "%s/%s %s (%d%%)", human(m.done), human(m.total), m.unit, min(100, m.done*100/m.total))
	} else {
		fmt.Fprintf(&b, "%s %s", human(m.done), m.unit)
	}
	if elapsed >= 1 && m.done > 0 {
		rate := float64(m.done) / elapsed
		fmt.Fprintf(&b, ", %s/s", human(int64(rate)))
		if m.total > m.done {
			eta := time.Duration(float64(m.total-m.done) / rate * float64(time.Second))
			fmt.Fprintf(&b, ", ETA %s", eta.Round(time.Second))
		}
	}
	return b.String()
}

// human writes n with a k, M or G suffix past a thousand.
func human(n int64) string {
	f := float64(n)
	switch {
	case n < 1000:
		return fmt.Sprint(n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1fk", f/1e3)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.1fM", f/1e6)
	}
	return fmt.Sprintf("%.1fG", f/1e9)
}

// Lines reports progress as plain lines: at most one per interval while a
// phase runs, and one when it ends.
type Lines struct {
	meter
	w        io.Writer
	interval time.Duration
}

// NewLines returns a Lines writing to w.
func NewLines(w io.Writer, interval time.Duration, now func() time.Time) *Lines {
	return &Lines{meter: meter{now: now}, w: w, interval: interval}
}

func (l *Lines) Start(phase, unit string, total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.begin(phase, unit, total)
}

func (l *Lines) Add(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done += n
	if now := l.now(); l.active && now.Sub(l.last) >= l.interval {
		l.last = now
		fmt.Fprintf(l.w, "%s: %s\n", l.phase, l.status(now))
	}
}

func (l *Lines) Done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.active {
		return
	}
	l.active = false
	took := l.now().Sub(l.start).Round(100 * time.Millisecond)
	fmt.Fprintf(l.w, "%s: done, %s %s in %s\n", l.phase, human(l.done), l.unit, took)
}

// Bar redraws one terminal line per phase: a bar, amounts, rate and ETA.
type Bar struct {
	meter
	w     io.Writer
	width int
}

// barRedraw is the shortest time between two redraws.
const barRedraw = 100 * time.Millisecond

// NewBar returns a Bar of width columns writing to w.
func NewBar(w io.Writer, width int, now func() time.Time) *Bar {
	return &Bar{meter: meter{now: now}, w: w, width: width}
}

func (b *Bar) Start(phase, unit string, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.begin(phase, unit, total)
	b.draw(b.start)
}

func (b *Bar) Add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if now := b.now(); b.active && now.Sub(b.last) >= barRedraw {
		b.last = now
		b.draw(now)
	}
}

func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.active {
		return
	}
	b.active = false
	if b.total > 0 {
		b.done = max(b.done, b.total)
	}
	b.draw(b.now())
	fmt.Fprintln(b.w)
}

// draw rewrites the line: carriage return, the line, erase to its end.
func (b *Bar) draw(now time.Time) {
	status := b.status(now)
	label := fmt.Sprintf("%-12s ", b.phase)
	bar := ""
	if cells := b.width - len(label) - len(status) - 4; b.total > 0 && cells >= 10 {
		filled := int(min(b.done, b.total) * int64(cells) / b.total)
		bar = "[" + strings.Repeat("=", filled) + strings.Repeat(" ", cells-filled) + "] "
	}
	fmt.Fprintf(b.w, "\r%s%s%s\x1b[K", label, bar, status)
}
