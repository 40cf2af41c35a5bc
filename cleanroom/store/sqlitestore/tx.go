package sqlitestore

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

// tx implements store.Tx on one database/sql transaction.
type tx struct {
	tx *sql.Tx
}

var _ store.Tx = (*tx)(nil)

// wrap turns driver errors into the store's sentinels where one applies and
// prefixes the rest with the operation.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlitestore: %s: %w", op, store.ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			return fmt.Errorf("sqlitestore: %s: %w", op, store.ErrExists)
		}
	}
	return fmt.Errorf("sqlitestore: %s: %w", op, err)
}

// mustAffect reports ErrNotFound when an UPDATE matched no row.
func mustAffect(op string, res sql.Result, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlitestore: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// timeArg encodes a time as nanoseconds since the epoch; the zero time is
// NULL.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// timeCol decodes what timeArg stored.
func timeCol(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(0, v.Int64).UTC()
}

// scanner is the part of *sql.Row and *sql.Rows the row decoders need.
type scanner interface {
	Scan(dest ...any) error
}
