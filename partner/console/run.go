package console

import (
	"fmt"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/wording"
)

// run is one flow.Run started from the console, and its progress as
// flow.Progress reports it.
type run struct {
	started time.Time

	mu          sync.Mutex
	phase, unit string
	total, done int64
	phaseStart  time.Time
	active      bool
	finished    bool
	err         error
	summary     flow.Summary
	ended       chan struct{}
}

func (r *run) Start(phase, unit string, total int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phase, r.unit, r.total, r.done, r.phaseStart, r.active = phase, unit, total, 0, time.Now(), true
}

func (r *run) Add(n int64) {
	r.mu.Lock()
	r.done += n
	r.mu.Unlock()
}

func (r *run) Done() {
	r.mu.Lock()
	r.active = false
	r.mu.Unlock()
}

// Status is a run's progress as the session page and its script show it.
type Status struct {
	Running bool   `json:"running"`
	Phase   string `json:"phase"`             // "read", "upload", "re-blind", or what it waits for
	Unit    string `json:"unit,omitempty"`    // "bytes", "records"
	Done    int64  `json:"done"`              // in Unit
	Total   int64  `json:"total"`             // -1 if unknown
	Percent int    `json:"percent"`           // -1 if unknown
	Rate    string `json:"rate,omitempty"`    // "12,345 records/s"
	ETA     string `json:"eta,omitempty"`     // "0:42"
	Elapsed string `json:"elapsed"`           // since the run started
	Error   string `json:"error,omitempty"`   // why it stopped
	Outcome string `json:"outcome,omitempty"` // "done" once the outputs are written
}

// status reports the run; waiting names what the session waits for
// between phases (from its state), "" if unknown.
func (r *run) status(waiting string) Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	st := Status{Running: !r.finished, Total: -1, Percent: -1, Elapsed: clock(now.Sub(r.started))}
	switch {
	case r.finished && r.err != nil:
		st.Error = r.err.Error()
	case r.finished:
		st.Outcome = "done"
	case r.active:
		st.Phase, st.Unit, st.Done, st.Total = r.phase, r.unit, r.done, r.total
		if r.total > 0 {
			st.Percent = int(min(100, r.done*100/r.total))
		}
		if el := now.Sub(r.phaseStart).Seconds(); el >= 1 && r.done > 0 {
			rate := float64(r.done) / el
			st.Rate = wording.Thousands(int64(rate)) + " " + r.unit + "/s"
			if r.total > r.done {
				st.ETA = clock(time.Duration(float64(r.total-r.done) / rate * float64(time.Second)))
			}
		}
	default:
		st.Phase = waiting
	}
	return st
}

// clock writes d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return time.Duration(s * int64(time.Second)).String()
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// startFlow runs opts in the background as the session's run, unless a
// run of the session is going on already (a form sent twice).
func (s *Server) startFlow(id string, opts flow.Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[id]; ok && !r.isFinished() {
		return
	}
	r := &run{started: time.Now(), ended: make(chan struct{})}
	opts.Progress = r
	s.runs[id] = r
	ctx := s.ctx
	go func() {
		sum, err := flow.Run(ctx, opts)
		r.mu.Lock()
		r.finished, r.summary, r.err = true, sum, err
		r.mu.Unlock()
		if err != nil {
			s.cfg.Logger.Warn("run stopped", "session", opts.SessionID, "error", err)
		}
		close(r.ended)
	}()
}

func (r *run) isFinished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished
}

func (s *Server) runOf(id string) *run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

// waitRuns waits for the runs to stop (their context has ended).
func (s *Server) waitRuns() {
	s.mu.Lock()
	runs := make([]*run, 0, len(s.runs))
	for _, r := range s.runs {
		runs = append(runs, r)
	}
	s.mu.Unlock()
	for _, r := range runs {
		<-r.ended
	}
}
