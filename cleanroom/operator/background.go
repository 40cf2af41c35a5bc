package operator

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
	"github.com/blindjoin/blindjoin/cleanroom/jobs"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// background is what every clean-room process runs, serving or not: the
// session service on an observed store, and the jobs runner that does the
// service's background work (nil with cfg.NoJobs).
type background struct {
	store  store.Store // observed: its transactions feed ops
	svc    *session.Service
	runner *jobs.Runner
	ops    *httpapi.OpsMetrics
}

func newBackground(cfg Config, floor policy.Policy, raw store.Store, bl blobs.Store) (*background, error) {
	// Spills of a process killed mid-job on this host (Create sweeps too,
	// but has no log to say what it removed or could not).
	if n, err := spill.Sweep(cfg.ScratchDir); n > 0 || err != nil {
		cfg.Logger.Warn("swept dead processes' spill directories", slog.Int("removed", n), slog.Any("error", err))
	}
	ops := httpapi.NewOpsMetrics()
	st := store.Observed(raw, ops.ObserveStore)
	// The service tells the runner about work it made due; the runner
	// needs the service's handlers, so it comes second.
	var kick atomic.Pointer[jobs.Runner]
	svc, err := session.New(session.Config{
		DataDir: cfg.location().keysDir(), Store: st, Blobs: bl, Floor: floor, DPBudget: cfg.DPBudget,
		RelayPartRecords: cfg.RelayPartRecords, BlobGrace: cfg.BlobGrace, Logger: cfg.Logger,
		MemoryBudget: stepBudget(cfg.MemoryBudget), ScratchDir: cfg.ScratchDir,
		Notify: func() {
			if r := kick.Load(); r != nil {
				r.Kick()
			}
		},
	})
	if err != nil {
		return nil, err
	}
	b := &background{store: st, svc: svc, ops: ops}
	if !cfg.NoJobs {
		b.runner, err = jobs.New(jobs.Config{
			Store:    st,
			Handlers: svc.Handlers(),
			Every:    map[store.JobKind]time.Duration{store.JobRetention: cfg.SweepEvery, store.JobBlobSweep: cfg.SweepEvery},
			Lease:    cfg.JobLease,
			Workers:  cfg.JobWorkers,
			Drain:    cfg.ShutdownTimeout,
			Logger:   cfg.Logger,
		})
		if err != nil {
			return nil, err
		}
		kick.Store(b.runner)
	}
	// The metrics' own reads of the queue stay out of the store-latency
	// histogram.
	ops.WatchJobs(b.runner, raw)
	return b, nil
}

// run runs the jobs until ctx ends and the runner has drained; it returns
// at once for a process without a runner.
func (b *background) run(ctx context.Context, log *slog.Logger) {
	if b.runner == nil {
		return
	}
	log.Info("running jobs", slog.String("owner", b.runner.Owner()))
	b.runner.Run(ctx)
}
