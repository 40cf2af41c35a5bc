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
