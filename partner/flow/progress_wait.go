package flow

import (
	"fmt"
	"time"
)

// clock writes a wait's length as m:ss (h:mm:ss past an hour).
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// Waiting writes a line when the wait's wording changes, and otherwise at
// most one per interval.
func (l *Lines) Waiting(what string, elapsed time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if what == l.waitingFor && now.Sub(l.last) < l.interval {
		return
	}
	l.waitingFor, l.last = what, now
	fmt.Fprintf(l.w, "%s (%s)\n", what, clock(elapsed))
}

// Waited forgets the wait, so the next one is reported at once.
func (l *Lines) Waited() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waitingFor = ""
}

// Waiting redraws the line with what the run waits for and since when.
func (b *Bar) Waiting(what string, elapsed time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waitingFor = what
	fmt.Fprintf(b.w, "\r%s (%s)\x1b[K", what, clock(elapsed))
}

// Waited ends the waiting line.
func (b *Bar) Waited() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waitingFor != "" {
		fmt.Fprintln(b.w)
		b.waitingFor = ""
	}
}
