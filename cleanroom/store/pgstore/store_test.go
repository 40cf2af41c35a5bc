package pgstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/cleanroom/store/storetest"
	"github.com/blindjoin/blindjoin/internal/pgtest"
)

// testDSN returns a connection string whose connections use a new, empty
// schema (dropped at the end of the test), so tests never see each
// other's rows.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn, _ := pgtest.Schema(t, "t_")
	return dsn
}

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	dsn := testDSN(t)
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dsn
}

// TestContract holds PostgreSQL to the contract every store meets.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}

// TestConcurrentOpenMigratesOnce starts several replicas against one empty
// database at once: the migration lock lets exactly one apply each script.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := testDSN(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := Open(context.Background(), dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) {
		t.Fatalf("%d migration rows, want %d", n, len(migrations))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	s, dsn := openTemp(t)
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO schema_migrations VALUES ($1, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s2, err := Open(context.Background(), dsn); err == nil {
		s2.Close()
		t.Fatal("opened a database with a newer schema")
	}
}

// TestConfigErrorHidesPassword pins that a malformed connection string is
// reported without being echoed (it may carry a password).
func TestConfigErrorHidesPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:hunter2@host:notaport/db")
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("Open = %v, want ErrConfig", err)
	}
	if got := err.Error(); got != ErrConfig.Error() {
		t.Fatalf("error %q says more than ErrConfig", got)
	}
}

// TestClaimSkipsLockedJobs: a claim does not wait for a job another
// transaction is claiming, it takes the next one (FOR UPDATE SKIP LOCKED).
// Without SKIP LOCKED the second claim would queue behind the first
// transaction's row lock, and runners on all replicas would take turns on
// the queue's head instead of working in parallel.
func TestClaimSkipsLockedJobs(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := storetest.T0.Add(time.Minute)
	if err := s.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, session := range []string{"s1", "s2"} {
			if _, err := tx.EnqueueJob(ctx, store.Job{Kind: store.JobJoin, Session: session, Due: storetest.T0, Created: storetest.T0}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	held, done := make(chan int64), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		first := true
		holder <- s.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
			j, _, err := tx.ClaimJob(ctx, "a", now, time.Minute)
			if err != nil || !first {
				return err
			}
			// Hold the claim's row lock until the other claim is done.
			first = false
			held <- j.ID
			select {
			case <-done:
			case <-time.After(10 * time.Second):
			}
			return nil
		})
	}()
	heldID := <-held
	waitCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var got store.Job
	err := s.ReadWrite(waitCtx, func(ctx context.Context, tx store.Tx) (err error) {
		got, _, err = tx.ClaimJob(ctx, "b", now, time.Minute)
		return err
	})
	close(done)
	if err != nil {
		t.Fatalf("claim beside a transaction holding a job = %v; want the other job at once", err)
	}
	if got.ID == heldID {
		t.Fatalf("both transactions claimed job %d", got.ID)
	}
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
}
