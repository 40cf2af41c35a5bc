package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/cleanroom/store/storetest"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "blindjoin.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func ro(t *testing.T, s store.Store, f func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.ReadOnly(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

// TestContract holds SQLite to the contract every store meets.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}

func TestPragmas(t *testing.T) {
	s, _ := openTemp(t)
	for _, db := range []struct {
		name string
		q    string
		want string
	}{
		{"journal", "PRAGMA journal_mode", "wal"},
		{"fk", "PRAGMA foreign_keys", "1"},
		{"sync", "PRAGMA synchronous", "2"},
		{"busy", "PRAGMA busy_timeout", "10000"},
	} {
		var got string
		if err := s.writer.QueryRow(db.q).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != db.want {
			t.Errorf("%s = %q, want %q", db.q, got, db.want)
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	s, path := openTemp(t)
	storetest.AddParties(t, s, "adv")
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var n int
	if err := s2.writer.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) {
		t.Fatalf("%d migration rows, want %d", n, len(migrations))
	}
	ro(t, s2, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Party(ctx, "adv")
		return err
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	s, path := openTemp(t)
	if _, err := s.writer.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s2, err := Open(path); err == nil {
		s2.Close()
		t.Fatal("opened a database with a newer schema")
	}
}
