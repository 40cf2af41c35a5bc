package flow

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
