package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/blindjoin/blindjoin/cleanroom/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeoutMillis bounds how long a connection waits for a lock held by
// another process before failing with SQLITE_BUSY.
const busyTimeoutMillis = 10000

// maxReaders bounds the reader pool; SQLite readers are cheap in WAL mode
// but each connection holds its own page cache.
const maxReaders = 8

// Store is a store.Store backed by one SQLite database file.
type Store struct {
	writer *sql.DB
	reader *sql.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and brings its schema
// up to date.
func Open(path string) (*Store, error) {
	// SQLite creates the -wal and -shm files with the database file's mode,
	// so creating the file 0600 first keeps all three private: they hold
	// party names, policies and result counts.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	f.Close()
	writer, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	if err := migrate(context.Background(), writer); err != nil {
		writer.Close()
		return nil, err
	}
	// The reader pool is opened after the writer has switched the file to
	// WAL, so readers never race the journal-mode change.
	reader, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	reader.SetMaxOpenConns(maxReaders)
	if err := reader.Ping(); err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("sqlitestore: open: %w", err)
	}
	return &Store{writer: writer, reader: reader}, nil
}

// dsn builds the driver's connection string: a plain file name with the
// driver's own query parameters (see the package doc for why each is set).
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	q.Set("_foreign_keys", "1")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	if readOnly {
		q.Set("_query_only", "1")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// ReadWrite runs f in a BEGIN IMMEDIATE transaction on the writer connection.
func (s *Store) ReadWrite(ctx context.Context, f func(context.Context, store.Tx) error) error {
	return run(ctx, s.writer, nil, f)
}

// ReadOnly runs f in a read transaction on a reader connection.
func (s *Store) ReadOnly(ctx context.Context, f func(context.Context, store.Tx) error) error {
	return run(ctx, s.reader, &sql.TxOptions{ReadOnly: true}, f)
}

func run(ctx context.Context, db *sql.DB, opts *sql.TxOptions, f func(context.Context, store.Tx) error) (err error) {
	sqlTx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlitestore: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// Rollback after a failed f (or a panic in it); its own
			// error adds nothing to the one being returned.
			_ = sqlTx.Rollback()
		}
	}()
	if err := f(ctx, &tx{tx: sqlTx}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: commit: %w", err)
	}
	committed = true
	return nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	return errors.Join(s.reader.Close(), s.writer.Close())
}
