package flow

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// ErrWorkersPending is returned by FinishWorkers while the clean room
// still lacks parts of the plan's workers (it names them).
var ErrWorkersPending = errors.New("flow: the plan's workers have not all finished")

// FinishWorkers ends a match split among workers (PlanWorkers, RunWorker):
// once every worker has sent its share, it waits for the results and
// writes into opts.OutDir, the plan's directory, what Run writes
// (results.json, activation.csv mapped back to input rows through the row
// map, summary.json with the plan's account of the input), then deletes
// the bucket files and the row map, and the session key and resume record
// of opts.KeyDir.
//
// While the clean room lacks parts that the plan's workers send, it
// returns ErrWorkersPending naming the workers, rather than wait: it
// cannot tell a worker that is still running from one that crashed, and
// waiting for a crashed worker would never end. It does wait for the
// counterpart, as Run does.
func FinishWorkers(ctx context.Context, opts Options) (Summary, error) {
	opts, err := opts.withRunDefaults()
	return runWith(opts, err, func(r *runner) error { return r.finish(ctx) })
}

func (r *runner) finish(ctx context.Context) error {
	dir := r.opts.OutDir
	m, err := readManifest(dir, r.opts.SessionID)
	if err != nil {
		return err
	}
	s, err := r.openPlanned(ctx, m)
	if err != nil {
		return err
	}
	r.summary = m.Summary
	if !resultsReady(s.State) {
		pending, err := r.pendingShares(ctx, m, s)
		if err != nil {
			return err
		}
		if pending != "" {
			return fmt.Errorf("%w: %s. Run --finish once every worker has exited with status 0 (a worker run again resumes its share)", ErrWorkersPending, pending)
		}
	}
	byPosition, err := readRowMap(dir, m)
	if err != nil {
		return err
	}
	if err := r.useInputOf(m); err != nil {
		return err
	}
	r.begin("wait for the results")
	d, err := r.fetchResults(ctx, len(byPosition))
	if err != nil {
		return err
	}
	defer d.remove()
	r.begin("write")
	if err := r.writeOutputs(d, byPosition); err != nil {
		return err
	}
	// The bucket files hold the rows' identifier digests, which a
	// dictionary inverts: with the outputs written they only are a risk.
	for _, f := range append(m.Buckets, m.RowMap) {
		if err := os.Remove(filepath.Join(dir, f.File)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("flow: removing the plan's %s: %w", f.File, err)
		}
	}
	return r.writeSummaryAndForgetKey()
}

// useInputOf sets the options that read the activation columns back from
// the input to the plan's.
func (r *runner) useInputOf(m *planManifest) error {
	d, err := csvin.ParseDelimiter(m.Input.Delimiter)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrPlanFile, manifestFile, err)
	}
	enc, err := csvin.ParseEncoding(m.Input.Encoding)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrPlanFile, manifestFile, err)
	}
	r.opts.Input, r.opts.ActivationColumns = m.Input.Input, m.ActivationColumns
	r.opts.Format = csvin.Options{Delimiter: d, Encoding: enc}
	return nil
}

// pendingShares names the workers whose parts the clean room lacks, as
// "worker 1/3 (2 of 4 blinded parts missing)"; "" when none does.
func (r *runner) pendingShares(ctx context.Context, m *planManifest, s api.Session) (string, error) {
	side := r.info.side(s)
	var pending []string
	switch {
	case !side.BlindedComplete:
		held, err := r.heldParts(ctx, transcript.TypePartUploaded)
		if err != nil {
			return "", err
		}
		for i, b := range m.Buckets {
			missing := 0
			for p := b.FirstPart; p < b.FirstPart+b.Parts; p++ {
				if !held[p] {
					missing++
				}
			}
			if missing > 0 {
				pending = append(pending, fmt.Sprintf("worker %d/%d (%d of %d blinded parts missing)", i, m.Workers, missing, b.Parts))
			}
		}
	case !side.ReblindedComplete && side.CounterpartParts == 0:
		return "every worker still has the counterpart's set to re-blind, which the clean room has not prepared yet", nil
	case !side.ReblindedComplete:
		held, err := r.heldParts(ctx, transcript.TypeReblindedUploaded)
		if err != nil {
			return "", err
		}
		for i := range m.Workers {
			share := len(reblindShareParts(side.CounterpartParts, i, m.Workers, nil))
			if missing := len(reblindShareParts(side.CounterpartParts, i, m.Workers, held)); missing > 0 {
				pending = append(pending, fmt.Sprintf("worker %d/%d (%d of %d re-blinded parts missing)", i, m.Workers, missing, share))
			}
		}
	}
	return strings.Join(pending, ", "), nil
}
