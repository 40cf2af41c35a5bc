package flow

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/partner/wording"
)

// Split is which step of a match a run is: the whole match (Run), or one
// step of a match split among workers on several machines: the plan
// (PlanWorkers), worker Worker of Workers (RunWorker), or the finish
// (FinishWorkers). The CLI's `match` flags --plan --workers W,
// --worker i/W and --finish choose it (ParseSplit).
type Split struct {
	Step            SplitStep
	Worker, Workers int
}

// SplitStep is a step of a split match.
type SplitStep int

// The steps.
const (
	StepWhole SplitStep = iota
	StepPlan
	StepWorker
	StepFinish
)

// ParseSplit reads the CLI's flags: --plan with --workers W, --worker i/W
// (0 <= i < W), --finish, or none of them for a whole match. input says
// whether an input file was named, which the worker and the finish do not
// read (the plan holds the rows).
func ParseSplit(plan bool, workers int, worker string, finish, input bool) (Split, error) {
	steps := 0
	for _, on := range []bool{plan, worker != "", finish} {
		if on {
			steps++
		}
	}
	bad := func(format string, args ...any) (Split, error) {
		return Split{}, fmt.Errorf("%w: "+format, append([]any{ErrOptions}, args...)...)
	}
	switch {
	case steps > 1:
		return bad("give one of --plan, --worker and --finish")
	case workers != 0 && !plan:
		return bad("--workers goes with --plan; a worker names its share as --worker i/W")
	case plan && (workers < 1 || workers > maxWorkers):
		return bad("--plan needs --workers W, 1 to %d", maxWorkers)
	case plan:
		return Split{Step: StepPlan, Workers: workers}, nil
	case (worker != "" || finish) && input:
		return bad("--worker and --finish read no input file (the plan in --out holds the rows): drop --in")
	case finish:
		return Split{Step: StepFinish}, nil
	case worker == "":
		return Split{}, nil
	}
	i, w, ok := parseShare(worker)
	if !ok {
		return bad("--worker must be i/W with 0 <= i < W <= %d, as 0/3", maxWorkers)
	}
	return Split{Step: StepWorker, Worker: i, Workers: w}, nil
}

// parseShare reads "i/W" in decimal digits, 0 <= i < W <= maxWorkers.
func parseShare(s string) (i, w int, ok bool) {
	a, b, found := strings.Cut(s, "/")
	digits := func(t string) (int, bool) {
		if t == "" || len(t) > 4 || strings.Trim(t, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.Atoi(t)
		return n, err == nil
	}
	i, okI := digits(a)
	w, okW := digits(b)
	return i, w, found && okI && okW && i < w && w <= maxWorkers
}

// ReadsInput says whether the step reads the input file.
func (s Split) ReadsInput() bool { return s.Step == StepWhole || s.Step == StepPlan }

// Run runs the step.
func (s Split) Run(ctx context.Context, opts Options) (Summary, error) {
	switch s.Step {
	case StepPlan:
		return PlanWorkers(ctx, opts, s.Workers)
	case StepWorker:
		return RunWorker(ctx, opts, s.Worker, s.Workers)
	case StepFinish:
		return FinishWorkers(ctx, opts)
	}
	return Run(ctx, opts)
}

// Done is what a CLI says when a plan or a worker ended well; "" for the
// whole match and the finish, which report the match's results.
func (s Split) Done(sum Summary, dir string) string {
	switch s.Step {
	case StepPlan:
		return fmt.Sprintf("Planned %s rows for %d workers in %s (rejects.csv says why %s rows stay home).\nOn each machine i = 0..%d, with that directory and the session key: blindjoin match %s --worker i/%d --out DIR\nThen, here: blindjoin match %s --finish --out %s",
			wording.Thousands(sum.Rows.Uploaded), s.Workers, dir, wording.Thousands(sum.Rows.Rejected), s.Workers-1, sum.SessionID, s.Workers, sum.SessionID, dir)
	case StepWorker:
		return fmt.Sprintf("Worker %d/%d: its share of session %s is uploaded and re-blinded (%d of its blinded parts were there already).", s.Worker, s.Workers, sum.SessionID, sum.SkippedParts)
	}
	return ""
}
