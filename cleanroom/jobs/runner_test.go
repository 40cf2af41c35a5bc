package jobs

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/cleanroom/store/pgstore"
	"github.com/blindjoin/blindjoin/cleanroom/store/sqlitestore"
	"github.com/blindjoin/blindjoin/internal/pgtest"
)

// The tests run against the real stores: the runner's guarantees (one
// holder per lease, one recurring job per period) are the store's
// transactions as much as the runner's code. Waits poll with a generous
// deadline rather than assert timings, so that a loaded machine makes a
// test slower, not red.

// waitLimit bounds every wait for something the runner does on its own.
const waitLimit = 10 * time.Second

// t0 is the fake clocks' start (a round time, for readable failures).
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const kindTest store.JobKind = "test"

// openSQLite opens a store on a new temporary SQLite file.
func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlitestore.Open(filepath.Join(t.TempDir(), "blindjoin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgres opens a store on a new, empty schema of the
// BLINDJOIN_TEST_POSTGRES database (dropped at the end of the test) and
// skips when that variable is unset.
func openPostgres(t *testing.T) store.Store {
	t.Helper()
	dsn, _ := pgtest.Schema(t, "jobs_")
	s, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// onEachStore runs test as a subtest on SQLite and on PostgreSQL (which
// skips without a server).
func onEachStore(t *testing.T, test func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) { test(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, openPostgres(t)) })
}

func enqueue(t *testing.T, s store.Store, j store.Job) {
	t.Helper()
	err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
		added, err := tx.EnqueueJob(ctx, j)
		if err == nil && !added {
			err = errors.New("job already queued")
		}
		return err
	})
	if err != nil {
		t.Fatalf("enqueueing %s: %v", j.Kind, err)
	}
}

func queued(t *testing.T, s store.Store) []store.Job {
	t.Helper()
	var js []store.Job
	err := s.ReadOnly(context.Background(), func(ctx context.Context, tx store.Tx) (err error) {
		js, err = tx.Jobs(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// onlyJob returns the one queued job, failing if there is not exactly
// one.
func onlyJob(t *testing.T, s store.Store) store.Job {
	t.Helper()
	js := queued(t, s)
	if len(js) != 1 {
		t.Fatalf("queued jobs = %+v, want exactly one", js)
	}
	return js[0]
}

// waitFor polls cond until it holds, failing the test after waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", waitLimit, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func newRunner(t *testing.T, cfg Config) *Runner {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// start runs r until the returned stop is called (or the test ends);
// stop waits for Run to return, which includes draining.
func start(t *testing.T, r *Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(waitLimit):
				t.Errorf("Run did not return %v after its context ended", waitLimit)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// claimCounter wraps a store to count the runner's looks for due jobs.
type claimCounter struct {
	store.Store
	claims atomic.Int64
}

func (c *claimCounter) ReadWrite(ctx context.Context, f func(ctx context.Context, tx store.Tx) error) error {
	return c.Store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return f(ctx, countingTx{tx, c})
	})
}

type countingTx struct {
	store.Tx
	c *claimCounter
}

func (tx countingTx) ClaimJob(ctx context.Context, owner string, now time.Time, lease time.Duration) (store.Job, bool, error) {
	tx.c.claims.Add(1)
	return tx.Tx.ClaimJob(ctx, owner, now, lease)
}

func TestRunsJobOnceAndDeletesIt(t *testing.T) {
	s := &claimCounter{Store: openSQLite(t)}
	var calls atomic.Int64
	var got store.Job
	r := newRunner(t, Config{Store: s, Workers: 1, Poll: time.Hour, Handlers: map[store.JobKind]Handler{
		kindTest: func(ctx context.Context, j store.Job) error {
			got = j
			calls.Add(1)
			return nil
		},
	}})
	start(t, r)
	// Once the worker has looked and stopped looking, it waits for its
	// hour-long poll: only a Kick makes it look again before the test
	// times out.
	waitFor(t, "the runner's first look", func() bool { return s.claims.Load() > 0 })
	for looks := int64(-1); looks != s.claims.Load(); {
		looks = s.claims.Load()
		time.Sleep(100 * time.Millisecond)
	}
	enqueue(t, s, store.Job{Kind: kindTest, Session: "s1", Arg: "a", Due: time.Now(), Created: time.Now()})
	r.Kick()
	waitFor(t, "the kicked runner to finish the job", func() bool { return r.Stats().Finished > 0 })

	if got.Kind != kindTest || got.Session != "s1" || got.Arg != "a" || got.Owner != r.Owner() || got.Attempts != 1 {
		t.Errorf("handler got %+v, want the test job claimed by %s at attempt 1", got, r.Owner())
	}
	if js := queued(t, s); len(js) != 0 {
		t.Errorf("queued after the job ran = %+v, want none (done jobs are deleted)", js)
	}
	looks := s.claims.Load()
	r.Kick()
	waitFor(t, "the runner to look again", func() bool { return s.claims.Load() > looks })
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want 1", n)
	}
	if st := r.Stats(); st.Claimed != 1 || st.Finished != 1 || st.Retried != 0 || st.Expired != 0 || st.Lost != 0 {
		t.Errorf("Stats = %+v, want 1 claimed and finished, nothing else", st)
	}
}

func TestFailedJobBacksOff(t *testing.T) {
	s, clock := openSQLite(t), testkit.NewClock(t0)
	var calls atomic.Int64
	r := newRunner(t, Config{Store: s, Now: clock.Now, RetryBase: time.Second, RetryMax: 3 * time.Second,
		Handlers: map[store.JobKind]Handler{kindTest: func(ctx context.Context, j store.Job) error {
			calls.Add(1)
			return errors.New("upstream unavailable")
		}}})
	enqueue(t, s, store.Job{Kind: kindTest, Due: t0, Created: t0})
	ctx := context.Background()

	// Attempts 1, 2, 3, 4 wait 1 s, 2 s, 4 s capped at 3 s, 3 s.
	for attempt, wait := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second} {
		if n, err := r.RunDue(ctx); n != 1 || err != nil {
			t.Fatalf("attempt %d: RunDue = %d, %v; want 1 job run", attempt+1, n, err)
		}
		j := onlyJob(t, s)
		if want := clock.Now().Add(wait); !j.Due.Equal(want) || j.Owner != "" || j.Attempts != attempt+1 ||
			j.LastError != "upstream unavailable" {
			t.Fatalf("attempt %d: job after failing = %+v; want unclaimed, due %v, last error set", attempt+1, j, want)
		}
		clock.Advance(wait - time.Millisecond)
		if n, err := r.RunDue(ctx); n != 0 || err != nil {
			t.Fatalf("attempt %d: RunDue before the retry is due = %d, %v; want none", attempt+1, n, err)
		}
		clock.Advance(time.Millisecond)
	}
	if st := r.Stats(); st.Retried != 4 || st.Finished != 0 || calls.Load() != 4 {
		t.Errorf("Stats = %+v after %d calls, want 4 retried", st, calls.Load())
	}
}

func TestPanickingHandlerIsRetried(t *testing.T) {
	s := openSQLite(t)
	var calls atomic.Int64
	var retriedAfter string // the LastError the retry was claimed with
	r := newRunner(t, Config{Store: s, Poll: 10 * time.Millisecond, RetryBase: time.Millisecond,
		Handlers: map[store.JobKind]Handler{kindTest: func(ctx context.Context, j store.Job) error {
			if calls.Add(1) == 1 {
				panic("handler bug")
			}
			retriedAfter = j.LastError
			return nil
		}}})
	enqueue(t, s, store.Job{Kind: kindTest, Due: time.Now(), Created: time.Now()})
	start(t, r)
	waitFor(t, "the retry to succeed", func() bool { return r.Stats().Finished > 0 })
	if st := r.Stats(); st.Retried != 1 || calls.Load() != 2 {
		t.Errorf("Stats = %+v after %d calls; want the panic retried once", st, calls.Load())
	}
	if retriedAfter != "jobs: handler panicked (see the log)" {
		t.Errorf("retried job's LastError = %q, want the panic", retriedAfter)
	}
	if js := queued(t, s); len(js) != 0 {
		t.Errorf("queued = %+v, want none", js)
	}
}

func TestUnknownKindIsReleasedNotLost(t *testing.T) {
	s, clock := openSQLite(t), testkit.NewClock(t0)
	r := newRunner(t, Config{Store: s, Now: clock.Now, RetryBase: time.Minute,
		Handlers: map[store.JobKind]Handler{kindTest: func(context.Context, store.Job) error { return nil }}})
	enqueue(t, s, store.Job{Kind: "from_a_newer_version", Due: t0, Created: t0})
	if n, err := r.RunDue(context.Background()); n != 1 || err != nil {
		t.Fatalf("RunDue = %d, %v; want 1 job run", n, err)
	}
	j := onlyJob(t, s)
	if j.Kind != "from_a_newer_version" || j.Owner != "" || !j.Due.Equal(t0.Add(time.Minute)) ||
		!strings.Contains(j.LastError, "no handler") {
		t.Errorf("job = %+v; want it released due in RetryBase, saying it has no handler", j)
	}
	if st := r.Stats(); st.Retried != 1 {
		t.Errorf("Stats = %+v, want 1 retried", st)
	}
}

// A runner takes over a job whose holder died (it claimed the job and
// never extended the lease) once the lease has run out, not before.
func TestTakesOverExpiredLease(t *testing.T) {
	onEachStore(t, func(t *testing.T, s store.Store) {
		clock := testkit.NewClock(t0)
		var ranIn atomic.Value
		b := newRunner(t, Config{Store: s, Now: clock.Now, Owner: "runner-b", Lease: time.Minute,
			Handlers: map[store.JobKind]Handler{kindTest: func(ctx context.Context, j store.Job) error {
				ranIn.Store(j.Owner)
				return nil
			}}})
		enqueue(t, s, store.Job{Kind: kindTest, Due: t0, Created: t0})
		err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, _, err := tx.ClaimJob(ctx, "dead-runner", t0, time.Minute)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		clock.Advance(time.Minute)
		if n, err := b.RunDue(context.Background()); n != 0 || err != nil {
			t.Fatalf("RunDue while the dead runner's lease lasts = %d, %v; want none", n, err)
		}
		clock.Advance(time.Second)
		if n, err := b.RunDue(context.Background()); n != 1 || err != nil {
			t.Fatalf("RunDue after the lease ran out = %d, %v; want 1 job run", n, err)
		}
		if owner, _ := ranIn.Load().(string); owner != "runner-b" {
			t.Errorf("handler ran under owner %q, want runner-b", owner)
		}
		if st := b.Stats(); st.Expired != 1 || st.Finished != 1 {
			t.Errorf("Stats = %+v, want 1 expired claim finished", st)
		}
		if js := queued(t, s); len(js) != 0 {
			t.Errorf("queued = %+v, want none", js)
		}
	})
}

// A handler slower than the lease keeps its job: the heartbeat extends
// the lease, so a second runner polling meanwhile never takes it over.
func TestHeartbeatKeepsLease(t *testing.T) {
	onEachStore(t, func(t *testing.T, s store.Store) {
		const lease = 2 * time.Second // extended every 667 ms: a stall must last over 1.3 s to lose it
		var calls atomic.Int64
		handlers := map[store.JobKind]Handler{kindTest: func(ctx context.Context, j store.Job) error {
			calls.Add(1)
			select {
			case <-time.After(lease * 3 / 2):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
		var runners []*Runner
		for range 2 {
			r := newRunner(t, Config{Store: s, Handlers: handlers, Lease: lease, Poll: 20 * time.Millisecond})
			runners = append(runners, r)
			start(t, r)
		}
		enqueue(t, s, store.Job{Kind: kindTest, Due: time.Now(), Created: time.Now()})
		waitFor(t, "the job to finish", func() bool { return runners[0].Stats().Finished+runners[1].Stats().Finished > 0 })
		if n := calls.Load(); n != 1 {
			t.Errorf("handler ran %d times, want 1", n)
		}
		for i, r := range runners {
			if st := r.Stats(); st.Expired != 0 || st.Lost != 0 || st.Retried != 0 {
				t.Errorf("runner %d: Stats = %+v, want no expired or lost lease and no retry", i, st)
			}
		}
		if js := queued(t, s); len(js) != 0 {
			t.Errorf("queued = %+v, want none", js)
		}
	})
}

// A runner that finds another owner on its job cancels its handler and
// leaves the job to the new owner.
func TestLostLeaseCancelsHandler(t *testing.T) {
	onEachStore(t, func(t *testing.T, s store.Store) {
		started, ended := make(chan struct{}), make(chan error, 1)
		var calls atomic.Int64
		r := newRunner(t, Config{Store: s, Lease: 300 * time.Millisecond, Poll: 10 * time.Millisecond,
			Handlers: map[store.JobKind]Handler{kindTest: func(ctx context.Context, j store.Job) error {
				if calls.Add(1) > 1 {
					return errors.New("ran again")
				}
				close(started)
				<-ctx.Done()
				ended <- ctx.Err()
				return nil // whatever it says, the job is no longer this runner's
			}}})
		enqueue(t, s, store.Job{Kind: kindTest, Due: time.Now(), Created: time.Now()})
		start(t, r)
		select {
		case <-started:
		case <-time.After(waitLimit):
			t.Fatal("the handler did not start")
		}

		// Another runner takes the job: as if this one had been too slow
		// to extend its lease, the job is given back and claimed anew.
		j := onlyJob(t, s)
		err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
			now := time.Now()
			if err := tx.ReleaseJob(ctx, j.ID, j.Owner, now, ""); err != nil {
				return err
			}
			_, _, err := tx.ClaimJob(ctx, "other-runner", now, time.Hour)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-ended:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("handler's context ended with %v, want canceled", err)
			}
		case <-time.After(waitLimit):
			t.Fatal("the handler's context was not cancelled after the lease was lost")
		}
		waitFor(t, "the lost lease to be counted", func() bool { return r.Stats().Lost == 1 })
		if st := r.Stats(); st.Finished != 0 || st.Retried != 0 {
			t.Errorf("Stats = %+v, want the job neither finished nor released", st)
		}
		if got := onlyJob(t, s); got.Owner != "other-runner" || got.Attempts != j.Attempts+1 {
			t.Errorf("job after the lease was lost = %+v, want it still held by other-runner", got)
		}
	})
}

// Two runners with the same recurring kind: the job is queued once, runs
// once per period, and its next run is queued a period after the last.
func TestRecurringJobRunsOncePerPeriod(t *testing.T) {
	onEachStore(t, func(t *testing.T, s store.Store) {
		clock := testkit.NewClock(t0)
		var calls atomic.Int64
		cfg := Config{Store: s, Now: clock.Now, Poll: 10 * time.Millisecond,
			Every: map[store.JobKind]time.Duration{store.JobRetention: time.Hour},
			Handlers: map[store.JobKind]Handler{store.JobRetention: func(context.Context, store.Job) error {
				calls.Add(1)
				return nil
			}}}
		a, b := newRunner(t, cfg), newRunner(t, cfg)
		start(t, a)
		start(t, b)
		for period := 1; period <= 3; period++ {
			waitFor(t, "the recurring job to run", func() bool {
				return a.Stats().Finished+b.Stats().Finished >= uint64(period)
			})
			// Give both runners a few polls to (wrongly) run it again.
			time.Sleep(50 * time.Millisecond)
			if n := calls.Load(); n != int64(period) {
				t.Fatalf("period %d: the recurring job ran %d times in all, want %d", period, n, period)
			}
			j := onlyJob(t, s)
			if want := clock.Now().Add(time.Hour); j.Kind != store.JobRetention || !j.Due.Equal(want) || j.Owner != "" {
				t.Fatalf("period %d: queued = %+v, want the next run due %v, unclaimed", period, j, want)
			}
			clock.Advance(time.Hour)
		}
	})
}

func TestDrainLetsRunningJobFinish(t *testing.T) {
	s := openSQLite(t)
	started, proceed := make(chan struct{}), make(chan struct{})
	r := newRunner(t, Config{Store: s, Drain: waitLimit, Poll: 10 * time.Millisecond,
		Handlers: map[store.JobKind]Handler{kindTest: func(ctx context.Context, j store.Job) error {
			close(started)
			<-proceed
			return ctx.Err() // nil: the drain period has not run out
		}}})
	enqueue(t, s, store.Job{Kind: kindTest, Due: time.Now(), Created: time.Now()})
	stop := start(t, r)
	<-started
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-stopped:
		t.Fatal("Run returned while a job was running within its drain period")
	default:
	}
	close(proceed)
	<-stopped
	if st := r.Stats(); st.Finished != 1 || st.Retried != 0 {
		t.Errorf("Stats = %+v, want the job finished", st)
	}
	if js := queued(t, s); len(js) != 0 {
		t.Errorf("queued = %+v, want none", js)
	}
}

// A job still running when the drain period ends is cancelled and
// released due at once, so that another runner takes it without waiting
// for the lease or a backoff.
func TestDrainReleasesUnfinishedJob(t *testing.T) {
	onEachStore(t, func(t *testing.T, s store.Store) {
		started := make(chan struct{})
		stuck := newRunner(t, Config{Store: s, Drain: 100 * time.Millisecond, Lease: time.Hour,
			Poll: 10 * time.Millisecond, RetryBase: time.Hour,
			Handlers: map[store.JobKind]Handler{kindTest: func(ctx context.Context, j store.Job) error {
				close(started)
				<-ctx.Done()
				return ctx.Err()
			}}})
		enqueue(t, s, store.Job{Kind: kindTest, Due: time.Now(), Created: time.Now()})
		stop := start(t, stuck)
		<-started
		stop()

		j := onlyJob(t, s)
		if j.Owner != "" || j.Due.After(time.Now()) || !strings.Contains(j.LastError, "runner stopped") {
			t.Errorf("job after the drain = %+v; want it unclaimed, due now, saying the runner stopped", j)
		}
		if st := stuck.Stats(); st.Finished != 0 || st.Retried != 0 || st.Lost != 0 {
			t.Errorf("Stats of the stopped runner = %+v, want nothing finished, retried or lost", st)
		}

		var ran atomic.Int64
		next := newRunner(t, Config{Store: s, Handlers: map[store.JobKind]Handler{
			kindTest: func(context.Context, store.Job) error { ran.Add(1); return nil },
		}})
		if n, err := next.RunDue(context.Background()); n != 1 || err != nil || ran.Load() != 1 {
			t.Fatalf("another runner's RunDue = %d, %v; want the released job run at once", n, err)
		}
		if st := next.Stats(); st.Expired != 0 {
			t.Errorf("the next runner's Stats = %+v, want no expired lease: the job was released", st)
		}
	})
}
