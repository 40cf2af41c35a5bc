package sqlitestore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/cleanroom/store/storetest"
	"github.com/blindjoin/blindjoin/protocol/api"
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

// TestInlineResultsAfterMigration: results a store wrote in the row,
// before migration 4 added the results objects' columns, read back as
// inline JSON once the store is opened by this binary.
func TestInlineResultsAfterMigration(t *testing.T) {
	all := migrations
	migrations = all[:3]
	s, path := openTemp(t)
	migrations = all
	storetest.AddParties(t, s, "adv", "pub", "zaud", "aud")
	if err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.AddSession(ctx, storetest.SampleSession("s1"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.Exec(`UPDATE sessions SET advertiser_result = ?, partner_result = ? WHERE id = 's1'`,
		[]byte(`{"a":1}`), []byte(`{"b":2}`)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ro(t, s2, func(ctx context.Context, tx store.Tx) error {
		for side, want := range map[api.Role]string{api.RoleAdvertiser: `{"a":1}`, api.RoleMediaPartner: `{"b":2}`} {
			got, err := tx.Result(ctx, "s1", side)
			if err != nil || got.Blob != "" || string(got.Inline) != want {
				t.Errorf("Result(%s) = %+v, %v; want the inline %s", side, got, err, want)
			}
		}
		if keys, err := tx.ResultBlobs(ctx); err != nil || len(keys) != 0 {
			t.Errorf("ResultBlobs = %q, %v; want none", keys, err)
		}
		return nil
	})
}
