package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

// Defaults of Config.
const (
	DefaultLease     = time.Minute
	DefaultWorkers   = 2
	DefaultPoll      = time.Second
	DefaultDrain     = 30 * time.Second
	DefaultRetryBase = time.Second
	DefaultRetryMax  = 5 * time.Minute
)

// minLease is the shortest lease a runner takes: it is extended every
// third of it, by a store transaction.
const minLease = 30 * time.Millisecond

// storeCallTimeout bounds the store calls a runner makes on its own
// behalf after a handler returned (finish, release), which must not hang
// a draining process on a dead database.
const storeCallTimeout = 10 * time.Second

// Handler does the work of one job. It must be idempotent (see the
// package doc) and return when ctx ends. (An alias, so that a package
// offering handlers need not import this one.)
type Handler = func(ctx context.Context, j store.Job) error

// Config configures a Runner. Store and Handlers are required.
type Config struct {
	Store    store.Store
	Handlers map[store.JobKind]Handler
	// Every lists the recurring clean-room-wide kinds and their period.
	Every map[store.JobKind]time.Duration
	// Owner names this runner in the jobs it leases (default: Owner()).
	Owner   string
	Lease   time.Duration // how long a claim lasts without being extended
	Workers int           // jobs run at once (below 1: DefaultWorkers)
	Poll    time.Duration // longest wait between looks for due jobs
	Drain   time.Duration // how long running jobs get once Run's context ends
	// RetryBase and RetryMax bound the exponential backoff of failed
	// jobs.
	RetryBase, RetryMax time.Duration
	Now                 func() time.Time
	Logger              *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Store == nil || len(c.Handlers) == 0 {
		return c, errors.New("jobs: Store and Handlers are required")
	}
	for kind := range c.Every {
		if c.Handlers[kind] == nil {
			return c, fmt.Errorf("jobs: recurring kind %q has no handler", kind)
		}
		if c.Every[kind] <= 0 {
			return c, fmt.Errorf("jobs: recurring kind %q needs a positive period", kind)
		}
	}
	if c.Owner == "" {
		c.Owner = Owner()
	}
	switch {
	case c.Lease == 0:
		c.Lease = DefaultLease
	case c.Lease < minLease:
		return c, fmt.Errorf("jobs: a lease of %v is too short to be extended every third of it (at least %v)", c.Lease, minLease)
	}
	if c.Workers < 1 {
		c.Workers = DefaultWorkers
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.Drain <= 0 {
		c.Drain = DefaultDrain
	}
	if c.RetryBase <= 0 {
		c.RetryBase = DefaultRetryBase
	}
	if c.RetryMax < c.RetryBase {
		c.RetryMax = max(DefaultRetryMax, c.RetryBase)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Owner returns a name for a runner of this process that no other runner
// shares: host, process id and a random suffix (a restarted process can
// get its predecessor's pid).
func Owner() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Stats counts what a runner did since it started.
type Stats struct {
	Claimed  uint64 // jobs claimed
	Finished uint64 // jobs done
	Retried  uint64 // jobs that failed and were released for a retry
	// Expired counts claims of jobs whose previous holder's lease ran
	// out (a killed or stuck process); Lost counts leases this runner
	// lost while running the job.
	Expired, Lost uint64
	Running       int64 // jobs running now
}

// Runner claims and runs due jobs; see the package doc.
type Runner struct {
	cfg  Config
	kick chan struct{}

	claimed, finished, retried, expired, lost atomic.Uint64
	running                                   atomic.Int64
}

// New returns a runner; Run starts it.
func New(cfg Config) (*Runner, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Runner{cfg: cfg, kick: make(chan struct{}, cfg.Workers)}, nil
}

// Owner is the name this runner leases jobs under.
func (r *Runner) Owner() string { return r.cfg.Owner }

// Kick makes idle workers look for due jobs now rather than at their next
// poll: the session service calls it after committing a transaction that
// enqueued work, so that the process that made the work due usually
// starts it at once.
func (r *Runner) Kick() {
	for range cap(r.kick) {
		select {
		case r.kick <- struct{}{}:
		default:
			return
		}
	}
}

// Stats returns the runner's counters.
func (r *Runner) Stats() Stats {
	return Stats{
		Claimed: r.claimed.Load(), Finished: r.finished.Load(), Retried: r.retried.Load(),
		Expired: r.expired.Load(), Lost: r.lost.Load(), Running: r.running.Load(),
	}
}

// Run runs jobs until ctx ends, then drains (see the package doc) and
// returns.
func (r *Runner) Run(ctx context.Context) {
	// Handlers run under their own context, which outlives ctx by the
	// drain period.
	handlers, stopHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHandlers()
	var workers sync.WaitGroup
	workers.Go(func() { r.scheduleRecurring(ctx) })
	for range r.cfg.Workers {
		workers.Go(func() { r.work(ctx, handlers) })
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	timer := time.NewTimer(r.cfg.Drain)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		r.cfg.Logger.Warn("jobs still running after the drain period; releasing them", "drain", r.cfg.Drain)
		stopHandlers()
		// A handler deep in CPU-bound work (a join's sort) sees its
		// context only between steps: give it a moment to release its
		// job, then leave it to its lease rather than overrun the
		// shutdown further.
		select {
		case <-done:
		case <-time.After(cancelWait):
			r.cfg.Logger.Warn("jobs did not stop when cancelled; they run again once their lease runs out", "lease", r.cfg.Lease)
		}
	}
}

// cancelWait is how long Run waits, after the drain period, for cancelled
// handlers to return.
const cancelWait = 5 * time.Second

// RunDue runs the jobs that are due now, one after the other, until none
// is left, and returns how many ran (failed ones included: they are
// released for later). It is Run without the waiting: what a test or a
// one-shot maintenance run wants.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	ran := 0
	for {
		ok, err := r.runOne(ctx, ctx)
		if err != nil || !ok {
			return ran, err
		}
		ran++
	}
}

// scheduleRecurring enqueues each recurring kind once, retrying until the
// store answers: a replica that starts while the database is down must
// not end up without retention.
func (r *Runner) scheduleRecurring(ctx context.Context) {
	for {
		err := r.cfg.Store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
			for kind := range r.cfg.Every {
				now := r.cfg.Now().UTC()
				if _, err := tx.EnqueueJob(ctx, store.Job{Kind: kind, Due: now, Created: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			r.Kick()
			return
		}
		if ctx.Err() != nil {
			return
		}
		r.cfg.Logger.Error("scheduling the recurring jobs failed; retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.cfg.Poll):
		}
	}
}

// work is one worker: it runs due jobs one after the other, and waits for
// a kick or the poll period when there is none.
func (r *Runner) work(ctx, handlers context.Context) {
	for ctx.Err() == nil {
		ran, err := r.runOne(ctx, handlers)
		if err != nil && ctx.Err() == nil {
			r.cfg.Logger.Error("claiming a job failed", "error", err)
		}
		if ran {
			continue
		}
		select {
		case <-ctx.Done():
		case <-r.kick:
		case <-time.After(r.cfg.Poll):
		}
	}
}

// runOne claims one due job and runs it; it reports whether there was
// one.
func (r *Runner) runOne(ctx, handlers context.Context) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	// The claim runs to its end even if ctx ends meanwhile: a claim that
	// committed while its caller saw a cancellation would hold the job
	// for a whole lease with nobody running it.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeCallTimeout)
	defer cancel()
	var job store.Job
	var expired bool
	err := r.cfg.Store.ReadWrite(cctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		job, expired, err = tx.ClaimJob(ctx, r.cfg.Owner, r.cfg.Now().UTC(), r.cfg.Lease)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("jobs: claim: %w", err)
	}
	r.claimed.Add(1)
	if expired {
		r.expired.Add(1)
		r.cfg.Logger.Warn("job taken over after its lease ran out", jobAttrs(job)...)
	}
	r.cfg.Logger.Info("job started", jobAttrs(job)...)
	r.execute(handlers, job)
	return true, nil
}

// execute runs a claimed job under a heartbeat that extends its lease,
// then finishes or releases it.
func (r *Runner) execute(handlers context.Context, job store.Job) {
	r.running.Add(1)
	defer r.running.Add(-1)
	ctx, cancel := context.WithCancel(handlers)
	var lost atomic.Bool
	var beating sync.WaitGroup
	beating.Go(func() {
		if r.heartbeat(ctx, job) {
			lost.Store(true)
			cancel()
		}
	})
	start := time.Now()
	err := r.call(ctx, job)
	cancel()
	beating.Wait()

	attrs := append(jobAttrs(job), slog.Duration("duration", time.Since(start)))
	if lost.Load() {
		r.lost.Add(1)
		r.cfg.Logger.Warn("job lease lost to another runner; it runs the job", attrs...)
		return
	}
	// The handler's context may have ended (drain): the store calls
	// below get their own.
	sctx, done := context.WithTimeout(context.WithoutCancel(handlers), storeCallTimeout)
	defer done()
	if err == nil {
		if ferr := r.finish(sctx, job); ferr != nil {
			r.cfg.Logger.Error("finishing a job failed; it will run again", append(attrs, slog.Any("error", ferr))...)
			return
		}
		r.finished.Add(1)
		r.cfg.Logger.Info("job done", attrs...)
		return
	}
	due, reason := r.retryAt(job), err.Error()
	if handlers.Err() != nil {
		due, reason = r.cfg.Now().UTC(), "released: the runner stopped"
	}
	rerr := r.cfg.Store.ReadWrite(sctx, func(ctx context.Context, tx store.Tx) error {
		return tx.ReleaseJob(ctx, job.ID, r.cfg.Owner, due, reason)
	})
	if rerr != nil {
		r.cfg.Logger.Error("releasing a job failed; it runs again once its lease runs out",
			append(attrs, slog.Any("error", rerr))...)
		return
	}
	if handlers.Err() != nil {
		r.cfg.Logger.Info("job released on shutdown", attrs...)
		return
	}
	r.retried.Add(1)
	r.cfg.Logger.Error("job failed; it will be retried", append(attrs, slog.Any("error", err), slog.Time("retry_at", due))...)
}

// call runs the job's handler, turning a panic into an error: a bug in
// one job must not take every replica's runner down with it.
func (r *Runner) call(ctx context.Context, job store.Job) (err error) {
	h := r.cfg.Handlers[job.Kind]
	if h == nil {
		return fmt.Errorf("jobs: no handler for kind %q in this process", job.Kind)
	}
	defer func() {
		if p := recover(); p != nil {
			r.cfg.Logger.Error("job handler panicked", append(jobAttrs(job), slog.Any("panic", p), slog.String("stack", string(debug.Stack())))...)
			// The panic value goes to the log only: the job row keeps
			// a fixed text.
			err = errors.New("jobs: handler panicked (see the log)")
		}
	}()
	return h(ctx, job)
}

// heartbeat extends the job's lease every third of it until ctx ends. It
// reports whether the lease was lost; an extension that fails otherwise
// (the store is unreachable) is logged and tried again at the next beat.
func (r *Runner) heartbeat(ctx context.Context, job store.Job) (lost bool) {
	t := time.NewTicker(r.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		err := r.cfg.Store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
			return tx.ExtendLease(ctx, job.ID, r.cfg.Owner, r.cfg.Now().UTC().Add(r.cfg.Lease))
		})
		switch {
		case errors.Is(err, store.ErrNotFound):
			return true
		case err != nil && ctx.Err() == nil:
			r.cfg.Logger.Error("extending a job lease failed", append(jobAttrs(job), slog.Any("error", err))...)
		}
	}
}

// finish deletes a done job and, for a recurring kind, enqueues the next
// run in the same transaction.
func (r *Runner) finish(ctx context.Context, job store.Job) error {
	return r.cfg.Store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.FinishJob(ctx, job.ID, r.cfg.Owner); err != nil {
			return err
		}
		every, ok := r.cfg.Every[job.Kind]
		if !ok {
			return nil
		}
		now := r.cfg.Now().UTC()
		_, err := tx.EnqueueJob(ctx, store.Job{Kind: job.Kind, Due: now.Add(every), Created: now})
		return err
	})
}

// retryAt is when a job that failed at its attempt-th claim runs again:
// RetryBase doubled per earlier attempt, at most RetryMax.
func (r *Runner) retryAt(job store.Job) time.Time {
	wait := r.cfg.RetryBase
	for i := 1; i < job.Attempts && wait < r.cfg.RetryMax; i++ {
		wait *= 2
	}
	return r.cfg.Now().UTC().Add(min(wait, r.cfg.RetryMax))
}

// jobAttrs are the log attributes of a job: its kind, session and
// attempt, never anything from the parties' data.
func jobAttrs(j store.Job) []any {
	attrs := []any{slog.String("job", string(j.Kind)), slog.Int64("job_id", j.ID), slog.Int("attempt", j.Attempts)}
	if j.Session != "" {
		attrs = append(attrs, slog.String("session", j.Session))
	}
	if j.Arg != "" {
		attrs = append(attrs, slog.String("arg", j.Arg))
	}
	return attrs
}
