package flow

import "time"

// Progress receives a run's progress, phase by phase. Start opens a phase
// with the total amount of work in unit ("bytes", "records"), or a total
// of -1 if unknown; Add reports work done since the last call; Done closes
// the phase. Add may be called from several goroutines.
type Progress interface {
	Start(phase, unit string, total int64)
	Add(n int64)
	Done()
}

type noProgress struct{}

func (noProgress) Start(string, string, int64) {}
func (noProgress) Add(int64)                   {}
func (noProgress) Done()                       {}

// Waiter is implemented by a Progress that shows what a run waits for
// between its phases of work: Waiting is called at each look at the
// session with what (as "waiting for daily-news to join") and how long
// the wait has lasted; Waited once the wait is over.
type Waiter interface {
	Waiting(what string, elapsed time.Duration)
	Waited()
}
