package sqlitestore

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

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

func rw(t *testing.T, s store.Store, f func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.ReadWrite(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

func ro(t *testing.T, s store.Store, f func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	if err := s.ReadOnly(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

func addParties(t *testing.T, s store.Store, names ...string) {
	t.Helper()
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, n := range names {
			if err := tx.AddParty(ctx, store.Party{Name: n, Role: "advertiser", APIKeyHash: []byte("h-" + n), Created: t0}); err != nil {
				return err
			}
		}
		return nil
	})
}

func sampleSession(id string) store.Session {
	return store.Session{
		ID: id, Advertiser: "adv", Partner: "pub", MatchKey: "email",
		Policy: []byte(`{"k":50}`), PolicyHash: "abc", Segments: []string{"s1", "s2"},
		Auditors: []string{"zaud", "aud"}, State: "created", Created: t0, Updated: t0,
		RelaySeed: []byte("0123456789abcdef0123456789abcdef"),
	}
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
	addParties(t, s, "adv")
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

func TestParties(t *testing.T) {
	s, _ := openTemp(t)
	addParties(t, s, "b", "a")
	ctx := context.Background()
	for _, p := range []store.Party{
		{Name: "a", Role: "auditor", APIKeyHash: []byte("other"), Created: t0},
		{Name: "c", Role: "auditor", APIKeyHash: []byte("h-a"), Created: t0},
	} {
		err := s.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error { return tx.AddParty(ctx, p) })
		if !errors.Is(err, store.ErrExists) {
			t.Errorf("AddParty(%s) = %v, want ErrExists", p.Name, err)
		}
	}
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.PartyByKeyHash(ctx, []byte("h-b"))
		if err != nil {
			return err
		}
		if p.Name != "b" || !p.Created.Equal(t0) || !p.RevokedAt.IsZero() {
			t.Errorf("got %+v", p)
		}
		p.RevokedAt = t0.Add(time.Hour)
		if err := tx.UpdateParty(ctx, p); err != nil {
			return err
		}
		if err := tx.UpdateParty(ctx, store.Party{Name: "zz"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateParty(unknown) = %v", err)
		}
		if _, err := tx.Party(ctx, "zz"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Party(unknown) = %v", err)
		}
		return nil
	})
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		ps, err := tx.Parties(ctx)
		if err != nil {
			return err
		}
		if len(ps) != 2 || ps[0].Name != "a" || ps[1].Name != "b" || !ps[1].RevokedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("Parties = %+v", ps)
		}
		return nil
	})
}

func TestSessions(t *testing.T) {
	s, _ := openTemp(t)
	addParties(t, s, "adv", "pub", "aud", "zaud", "other")
	want := sampleSession("s1")
	second := sampleSession("s2")
	second.Created = t0.Add(time.Second)
	second.Auditors = nil
	second.Segments = nil
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddSession(ctx, want); err != nil {
			return err
		}
		if err := tx.AddSession(ctx, want); !errors.Is(err, store.ErrExists) {
			t.Errorf("duplicate AddSession = %v", err)
		}
		return tx.AddSession(ctx, second)
	})
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.Session(ctx, "s1")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Session = %+v\nwant %+v", got, want)
		}
		for party, ids := range map[string][]string{
			"adv": {"s1", "s2"}, "pub": {"s1", "s2"}, "aud": {"s1"}, "zaud": {"s1"}, "other": nil, "": {"s1", "s2"},
		} {
			list, err := tx.Sessions(ctx, party)
			if err != nil {
				return err
			}
			var gotIDs []string
			for _, s := range list {
				gotIDs = append(gotIDs, s.ID)
			}
			if !reflect.DeepEqual(gotIDs, ids) {
				t.Errorf("Sessions(%q) = %v, want %v", party, gotIDs, ids)
			}
		}
		return nil
	})
	want.State = "computed"
	want.Updated = t0.Add(time.Minute)
	want.ComputedAt = t0.Add(time.Minute)
	want.PurgeAfter = t0.Add(48 * time.Hour)
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, side := range []api.Role{"advertiser", "media_partner"} {
			if got, err := tx.Result(ctx, "s1", side); err != nil || got != nil {
				t.Errorf("Result(%s) before SetResults = %q, %v; want nil, nil", side, got, err)
			}
		}
		if _, err := tx.Result(ctx, "nope", "advertiser"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Result of an unknown session: %v", err)
		}
		if _, err := tx.Result(ctx, "s1", "auditor"); err == nil {
			t.Error("Result of an unknown side succeeded")
		}
		return nil
	})
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateSession(ctx, want); err != nil {
			return err
		}
		if err := tx.SetResults(ctx, "nope", nil, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetResults of an unknown session: %v", err)
		}
		return tx.SetResults(ctx, "s1", []byte(`{"a":1}`), []byte(`{"b":2}`))
	})
	// A later state change leaves the results alone (they outlive a purge).
	want.Updated = t0.Add(2 * time.Minute)
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateSession(ctx, want) })
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.Session(ctx, "s1")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after update = %+v\nwant %+v", got, want)
		}
		for side, res := range map[api.Role]string{"advertiser": `{"a":1}`, "media_partner": `{"b":2}`} {
			if got, err := tx.Result(ctx, "s1", side); err != nil || string(got) != res {
				t.Errorf("Result(%s) = %q, %v; want %s", side, got, err, res)
			}
		}
		counts, err := tx.StateCounts(ctx)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(counts, map[api.State]int{"computed": 1, "created": 1}) {
			t.Errorf("StateCounts = %v", counts)
		}
		return nil
	})
}

func TestForeignKeysEnforced(t *testing.T) {
	s, _ := openTemp(t)
	err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.AddSession(ctx, sampleSession("s1")) // parties do not exist
	})
	if err == nil {
		t.Fatal("session referencing unknown parties was stored")
	}
}

func TestPartsEventsSpends(t *testing.T) {
	s, _ := openTemp(t)
	addParties(t, s, "adv", "pub", "aud", "zaud")
	part := store.Part{Session: "s1", Side: "advertiser", Leg: store.LegBlinded, Index: 1, First: 1000,
		Records: 1 << 40, Counting: 999, Final: true, Digest: []byte("d"), File: "parts/s1/x", Size: 77, Created: t0}
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddSession(ctx, sampleSession("s1")); err != nil {
			return err
		}
		p0 := part
		p0.Index, p0.First, p0.Final = 0, 0, false
		if err := tx.AddPart(ctx, part); err != nil {
			return err
		}
		if err := tx.AddPart(ctx, p0); err != nil {
			return err
		}
		if err := tx.AddPart(ctx, part); !errors.Is(err, store.ErrExists) {
			t.Errorf("duplicate part = %v", err)
		}
		for i := range 3 {
			e := store.Event{Session: "s1", Seq: uint64(i), Time: t0, Actor: "adv", Type: "x", Data: []byte("{}"), Head: []byte{byte(i)}}
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		if err := tx.AppendEvent(ctx, store.Event{Session: "s1", Seq: 2, Time: t0, Data: []byte{}, Head: []byte{}}); !errors.Is(err, store.ErrExists) {
			t.Errorf("duplicate seq = %v", err)
		}
		for _, sp := range []store.Spend{
			{Session: "s1", Advertiser: "adv", Partner: "pub", Epsilon: 1.5, Time: t0},
		} {
			if err := tx.AddSpend(ctx, sp); err != nil {
				return err
			}
		}
		return nil
	})
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		parts, err := tx.Parts(ctx, "s1", "advertiser", store.LegBlinded)
		if err != nil {
			return err
		}
		if len(parts) != 2 || parts[0].Index != 0 || !reflect.DeepEqual(parts[1], part) {
			t.Errorf("Parts = %+v", parts)
		}
		if other, _ := tx.Parts(ctx, "s1", "advertiser", store.LegRelay); len(other) != 0 {
			t.Errorf("relay parts = %+v", other)
		}
		evs, err := tx.Events(ctx, "s1")
		if err != nil || len(evs) != 3 || evs[2].Head[0] != 2 {
			t.Errorf("Events = %+v, %v", evs, err)
		}
		last, err := tx.LastEvent(ctx, "s1")
		if err != nil || last.Seq != 2 {
			t.Errorf("LastEvent = %+v, %v", last, err)
		}
		if _, err := tx.LastEvent(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LastEvent(none) = %v", err)
		}
		sp, err := tx.Spends(ctx, "adv", "pub", t0)
		if err != nil || len(sp) != 1 || sp[0].Epsilon != 1.5 {
			t.Errorf("Spends = %+v, %v", sp, err)
		}
		if sp, _ := tx.Spends(ctx, "adv", "pub", t0.Add(time.Nanosecond)); len(sp) != 0 {
			t.Errorf("Spends after = %+v", sp)
		}
		return nil
	})
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteSpend(ctx, "s1") })
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		if sp, _ := tx.Spends(ctx, "adv", "pub", time.Time{}); len(sp) != 0 {
			t.Errorf("Spends after delete = %+v", sp)
		}
		return nil
	})
}

func TestRollbackAndReadOnly(t *testing.T) {
	s, _ := openTemp(t)
	boom := errors.New("boom")
	err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddParty(ctx, store.Party{Name: "x", Role: "auditor", APIKeyHash: []byte("x"), Created: t0}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("ReadWrite = %v, want the function's error unchanged", err)
	}
	err = s.ReadOnly(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Party(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("rolled-back party visible: %v", err)
		}
		return tx.AddParty(ctx, store.Party{Name: "y", Role: "auditor", APIKeyHash: []byte("y"), Created: t0})
	})
	if err == nil {
		t.Fatal("write inside ReadOnly succeeded")
	}
}

// TestConcurrentReadCheckWrite runs many read-then-write transactions at
// once; with BEGIN IMMEDIATE on one writer none of them may see a stale
// read (which would surface as ErrExists on the sequence number) or fail
// with SQLITE_BUSY.
func TestConcurrentReadCheckWrite(t *testing.T) {
	s, _ := openTemp(t)
	addParties(t, s, "adv", "pub", "aud", "zaud")
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddSession(ctx, sampleSession("s1")) })
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
					next := uint64(0)
					last, err := tx.LastEvent(ctx, "s1")
					switch {
					case err == nil:
						next = last.Seq + 1
					case !errors.Is(err, store.ErrNotFound):
						return err
					}
					return tx.AppendEvent(ctx, store.Event{Session: "s1", Seq: next, Time: t0, Actor: "a", Type: "t", Data: []byte{}, Head: []byte{}})
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	// Readers run alongside and must never block or fail.
	wg.Go(func() {
		for range 50 {
			if err := s.ReadOnly(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Events(ctx, "s1")
				return err
			}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		evs, err := tx.Events(ctx, "s1")
		if len(evs) != workers*each {
			t.Errorf("%d events, want %d", len(evs), workers*each)
		}
		return err
	})
}
