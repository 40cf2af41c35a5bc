package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

// ErrConfig reports a connection string that cannot be parsed; the string
// itself is left out (it may hold a password).
var ErrConfig = errors.New("pgstore: invalid connection string")

// maxAttempts bounds how often ReadWrite runs f when PostgreSQL keeps
// aborting it to keep transactions serializable.
const maxAttempts = 30

// Store is a store.Store backed by a PostgreSQL database shared by every
// replica.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by the postgres:// URL dsn and brings
// its schema up to date.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, ErrConfig
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// ReadWrite runs f in a SERIALIZABLE transaction, again on a fresh snapshot
// when PostgreSQL aborts it to keep the order serializable (see the package
// doc).
func (s *Store) ReadWrite(ctx context.Context, f func(context.Context, store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		retry, err := s.run(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable}, f)
		if !retry {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("pgstore: gave up after %d serialization conflicts: %w", attempt, err)
		}
		if err := pause(ctx, attempt); err != nil {
			return err
		}
	}
}

// ReadOnly runs f on a read-only snapshot.
func (s *Store) ReadOnly(ctx context.Context, f func(context.Context, store.Tx) error) error {
	_, err := s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, f)
	return err
}

// run runs f in one transaction and reports whether it lost a
// serialization conflict and should run again. A conflict counts even when
// f swallowed the statement's error: the transaction is aborted either way.
func (s *Store) run(ctx context.Context, opts pgx.TxOptions, f func(context.Context, store.Tx) error) (retry bool, err error) {
	pgTx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return false, fmt.Errorf("pgstore: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// Rollback after a failed f (or a panic in it); its own
			// error adds nothing to the one being returned.
			_ = pgTx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	t := &tx{tx: pgTx}
	if err := f(ctx, t); err != nil {
		return t.conflict || conflict(err), err
	}
	if err := pgTx.Commit(ctx); err != nil {
		return t.conflict || conflict(err), fmt.Errorf("pgstore: commit: %w", err)
	}
	committed = true
	return false, nil
}

// conflict reports whether err is PostgreSQL giving up a transaction to
// keep the serializable order; running it again is the documented remedy.
func conflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// pause waits before attempt+1: a few milliseconds growing with the number
// of conflicts, jittered so that the transactions that collided do not
// collide again in step.
func pause(ctx context.Context, attempt int) error {
	limit := time.Millisecond << min(attempt, 7) // at most 128 ms
	timer := time.NewTimer(time.Duration(rand.Int64N(int64(limit))) + time.Millisecond)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Ping reports whether the database answers; readiness checks call it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pgstore: ping: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// ErrInUse reports a database that another serving process holds (see
// LockServer).
var ErrInUse = errors.New("pgstore: the database is in use by another blindjoind serve")

// serverLock is the advisory lock class ("bjsv" in ASCII) a serving
// process holds for as long as it runs, keyed by schema as migrationLock.
const serverLock int32 = 0x626a7376

// LockServer makes the caller the only server of the database, as the
// serve.lock file does for a data directory: start-up recovery deletes
// part files that no row names, which is only safe while no other server
// is writing them. The lock is a session-level advisory lock on one
// connection taken out of the pool; PostgreSQL releases it when that
// connection ends, so a replica that dies frees the database for its
// replacement at once. ErrInUse if another process holds it. Call unlock
// before Close: Close waits for the connection the lock holds.
func (s *Store) LockServer(ctx context.Context) (unlock func() error, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: server lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+lockKey+`)`, serverLock).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("pgstore: server lock: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, ErrInUse
	}
	return func() error {
		defer conn.Release()
		if _, err := conn.Exec(context.Background(), `SELECT pg_advisory_unlock(`+lockKey+`)`, serverLock); err != nil {
			return fmt.Errorf("pgstore: server unlock: %w", err)
		}
		return nil
	}, nil
}
