package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

// tx implements store.Tx on one pgx transaction.
type tx struct {
	tx pgx.Tx
	// conflict records that a statement lost a serialization conflict, so
	// that ReadWrite retries even if f handled the error itself.
	conflict bool
}

var _ store.Tx = (*tx)(nil)

// wrap turns driver errors into the store's sentinels where one applies and
// prefixes the rest with the operation.
func (t *tx) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstore: %s: %w", op, store.ErrNotFound)
	}
	if conflict(err) {
		t.conflict = true
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// exec runs a statement and returns its command tag.
func (t *tx) exec(ctx context.Context, op, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(ctx, sql, args...)
	return tag, t.wrap(op, err)
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING and reports ErrExists
// when it inserted nothing (see the package doc for why the conflict is not
// left to fail the statement).
func (t *tx) insert(ctx context.Context, op, sql string, args ...any) error {
	tag, err := t.exec(ctx, op, sql+` ON CONFLICT DO NOTHING`, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: %s: %w", op, store.ErrExists)
	}
	return nil
}

// update runs an UPDATE (or a DELETE) and reports ErrNotFound when it
// matched no row.
func (t *tx) update(ctx context.Context, op, sql string, args ...any) error {
	tag, err := t.exec(ctx, op, sql, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// list runs a query and decodes every row with scan.
func list[T any](ctx context.Context, t *tx, op string, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := t.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, t.wrap(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, t.wrap(op, err)
		}
		out = append(out, v)
	}
	return out, t.wrap(op, rows.Err())
}

// timeArg encodes a time as nanoseconds since the epoch; the zero time is
// NULL.
func timeArg(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ns := t.UnixNano()
	return &ns
}

// timeCol decodes what timeArg stored.
func timeCol(ns *int64) time.Time {
	if ns == nil {
		return time.Time{}
	}
	return time.Unix(0, *ns).UTC()
}
