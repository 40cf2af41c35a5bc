// Package storetest is the contract of cleanroom/store as one test suite:
// every implementation runs Run against a fresh, empty store per case, so
// the SQLite and PostgreSQL stores are held to the same behaviour, including
// under concurrent writers. Only tests import it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// T0 is the time the suite's rows carry; its nanoseconds check that a store
// keeps full precision.
var T0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// Open returns a fresh, empty store for one test case; it registers the
// store's Close with t.Cleanup.
type Open func(t *testing.T) store.Store

// Run runs every case of the contract against stores from open.
func Run(t *testing.T, open Open) {
	cases := []testCase{
		{"Parties", testParties},
		{"Sessions", testSessions},
		{"ForeignKeys", testForeignKeys},
		{"PartsEventsSpends", testPartsEventsSpends},
		{"ExpectedErrorsKeepTheTransaction", testExpectedErrorsKeepTx},
		{"RollbackAndReadOnly", testRollbackAndReadOnly},
		{"ConcurrentReadCheckWrite", testConcurrentReadCheckWrite},
		{"ConcurrentFinalParts", testConcurrentFinalParts},
		{"ConcurrentBudget", testConcurrentBudget},
		{"Settings", testSettings},
	}
	for _, c := range append(cases, jobCases...) {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

// testCase is one case of the contract, run against a fresh store.
type testCase struct {
	name string
	run  func(*testing.T, store.Store)
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

// AddParties registers advertisers named names (the role matters to no
// store method).
func AddParties(t *testing.T, s store.Store, names ...string) {
	t.Helper()
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, n := range names {
			if err := tx.AddParty(ctx, store.Party{Name: n, Role: api.RoleAdvertiser, APIKeyHash: []byte("h-" + n), Created: T0}); err != nil {
				return err
			}
		}
		return nil
	})
}

// SampleSession is a session between adv and pub audited by zaud and aud.
func SampleSession(id string) store.Session {
	return store.Session{
		ID: id, Advertiser: "adv", Partner: "pub", MatchKey: "email",
		Policy: []byte(`{"k":50}`), PolicyHash: "abc", Segments: []string{"s1", "s2"},
		Auditors: []string{"zaud", "aud"}, State: api.StateCreated, Created: T0, Updated: T0,
		RelaySeed: []byte("0123456789abcdef0123456789abcdef"),
	}
}

func testParties(t *testing.T, s store.Store) {
	AddParties(t, s, "b", "a")
	ctx := context.Background()
	for _, p := range []store.Party{
		{Name: "a", Role: api.RoleAuditor, APIKeyHash: []byte("other"), Created: T0},
		{Name: "c", Role: api.RoleAuditor, APIKeyHash: []byte("h-a"), Created: T0},
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
		if p.Name != "b" || !p.Created.Equal(T0) || !p.RevokedAt.IsZero() {
			t.Errorf("got %+v", p)
		}
		p.RevokedAt = T0.Add(time.Hour)
		if err := tx.UpdateParty(ctx, p); err != nil {
			return err
		}
		if err := tx.UpdateParty(ctx, store.Party{Name: "zz"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateParty(unknown) = %v", err)
		}
		if _, err := tx.Party(ctx, "zz"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Party(unknown) = %v", err)
		}
		if _, err := tx.PartyByKeyHash(ctx, []byte("none")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PartyByKeyHash(unknown) = %v", err)
		}
		return nil
	})
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		ps, err := tx.Parties(ctx)
		if err != nil {
			return err
		}
		if len(ps) != 2 || ps[0].Name != "a" || ps[1].Name != "b" || !ps[1].RevokedAt.Equal(T0.Add(time.Hour)) {
			t.Errorf("Parties = %+v", ps)
		}
		return nil
	})
}

func testSessions(t *testing.T, s store.Store) {
	AddParties(t, s, "adv", "pub", "aud", "zaud", "other")
	want := SampleSession("s1")
	second := SampleSession("s2")
	second.Created = T0.Add(time.Second)
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
		empty, err := tx.Session(ctx, "s2")
		if err != nil {
			return err
		}
		if len(empty.Segments) != 0 || len(empty.Auditors) != 0 {
			t.Errorf("session without segments or auditors = %+v", empty)
		}
		if _, err := tx.Session(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Session(unknown) = %v", err)
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
	want.State = api.StateComputed
	want.Updated = T0.Add(time.Minute)
	want.ComputedAt = T0.Add(time.Minute)
	want.PurgeAfter = T0.Add(48 * time.Hour)
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, side := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
			if got, err := tx.Result(ctx, "s1", side); err != nil || got.Stored() {
				t.Errorf("Result(%s) before SetResults = %+v, %v; want nothing stored", side, got, err)
			}
		}
		if _, err := tx.Result(ctx, "nope", api.RoleAdvertiser); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Result of an unknown session: %v", err)
		}
		if _, err := tx.Result(ctx, "s1", api.RoleAuditor); err == nil {
			t.Error("Result of an unknown side succeeded")
		}
		return nil
	})
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateSession(ctx, want); err != nil {
			return err
		}
		if err := tx.UpdateSession(ctx, SampleSession("nope")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateSession of an unknown session: %v", err)
		}
		if err := tx.SetResults(ctx, "nope", store.Result{}, store.Result{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetResults of an unknown session: %v", err)
		}
		if blobs, err := tx.ResultBlobs(ctx); err != nil || len(blobs) != 0 {
			t.Errorf("ResultBlobs before SetResults = %q, %v; want none", blobs, err)
		}
		// Written the other way round first: SetResults replaces both
		// forms of each side.
		if err := tx.SetResults(ctx, "s1", sampleResults[api.RoleMediaPartner], sampleResults[api.RoleAdvertiser]); err != nil {
			return err
		}
		return tx.SetResults(ctx, "s1", sampleResults[api.RoleAdvertiser], sampleResults[api.RoleMediaPartner])
	})
	// A later state change leaves the results alone (they outlive a purge).
	want.Updated = T0.Add(2 * time.Minute)
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateSession(ctx, want) })
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		got, err := tx.Session(ctx, "s1")
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after update = %+v\nwant %+v", got, want)
		}
		for side, res := range sampleResults {
			if got, err := tx.Result(ctx, "s1", side); err != nil || !reflect.DeepEqual(got, res) {
				t.Errorf("Result(%s) = %+v, %v; want %+v", side, got, err, res)
			}
		}
		if blobs, err := tx.ResultBlobs(ctx); err != nil || !slices.Equal(blobs, []string{"results/s1/media_partner-1.json"}) {
			t.Errorf("ResultBlobs = %q, %v; want the partner's", blobs, err)
		}
		counts, err := tx.StateCounts(ctx)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(counts, map[api.State]int{api.StateComputed: 1, api.StateCreated: 1}) {
			t.Errorf("StateCounts = %v", counts)
		}
		return nil
	})
}

func testForeignKeys(t *testing.T, s store.Store) {
	err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.AddSession(ctx, SampleSession("s1")) // parties do not exist
	})
	if err == nil {
		t.Fatal("session referencing unknown parties was stored")
	}
}

func testPartsEventsSpends(t *testing.T, s store.Store) {
	AddParties(t, s, "adv", "pub", "aud", "zaud")
	part := store.Part{Session: "s1", Side: api.RoleAdvertiser, Leg: store.LegBlinded, Index: 1, First: 1000,
		Records: 1 << 40, Counting: 999, Final: true, Digest: []byte("d"), File: "parts/s1/x", Size: 77, Created: T0}
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddSession(ctx, SampleSession("s1")); err != nil {
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
			e := store.Event{Session: "s1", Seq: uint64(i), Time: T0, Actor: "adv", Type: "x", Data: []byte("{}"), Head: []byte{byte(i)}}
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		if err := tx.AppendEvent(ctx, store.Event{Session: "s1", Seq: 2, Time: T0, Data: []byte{}, Head: []byte{}}); !errors.Is(err, store.ErrExists) {
			t.Errorf("duplicate seq = %v", err)
		}
		if err := tx.AddSpend(ctx, store.Spend{Session: "s1", Advertiser: "adv", Partner: "pub", Epsilon: 1.5, Time: T0}); err != nil {
			return err
		}
		if err := tx.AddSpend(ctx, store.Spend{Session: "s1", Advertiser: "adv", Partner: "pub", Epsilon: 1, Time: T0}); !errors.Is(err, store.ErrExists) {
			t.Errorf("second spend of a session = %v", err)
		}
		return nil
	})
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		parts, err := tx.Parts(ctx, "s1", api.RoleAdvertiser, store.LegBlinded)
		if err != nil {
			return err
		}
		if len(parts) != 2 || parts[0].Index != 0 || !reflect.DeepEqual(parts[1], part) {
			t.Errorf("Parts = %+v", parts)
		}
		if other, _ := tx.Parts(ctx, "s1", api.RoleAdvertiser, store.LegRelay); len(other) != 0 {
			t.Errorf("relay parts = %+v", other)
		}
		evs, err := tx.Events(ctx, "s1")
		if err != nil || len(evs) != 3 || evs[2].Head[0] != 2 || !evs[2].Time.Equal(T0) {
			t.Errorf("Events = %+v, %v", evs, err)
		}
		last, err := tx.LastEvent(ctx, "s1")
		if err != nil || last.Seq != 2 {
			t.Errorf("LastEvent = %+v, %v", last, err)
		}
		if _, err := tx.LastEvent(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LastEvent(none) = %v", err)
		}
		sp, err := tx.Spends(ctx, "adv", "pub", T0)
		if err != nil || len(sp) != 1 || sp[0].Epsilon != 1.5 || !sp[0].Time.Equal(T0) {
			t.Errorf("Spends = %+v, %v", sp, err)
		}
		if sp, _ := tx.Spends(ctx, "adv", "pub", T0.Add(time.Nanosecond)); len(sp) != 0 {
			t.Errorf("Spends after = %+v", sp)
		}
		return nil
	})
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteSpend(ctx, "s1") })
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.DeleteSpend(ctx, "s1") })
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		if sp, _ := tx.Spends(ctx, "adv", "pub", time.Time{}); len(sp) != 0 {
			t.Errorf("Spends after delete = %+v", sp)
		}
		return nil
	})
}

// testExpectedErrorsKeepTx pins that ErrExists and ErrNotFound are answers,
// not failures: the transaction goes on and commits what else it wrote.
// (A failed statement aborts a whole PostgreSQL transaction, so a store must
// produce these errors without one.)
func testExpectedErrorsKeepTx(t *testing.T, s store.Store) {
	AddParties(t, s, "adv", "pub", "aud", "zaud")
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddParty(ctx, store.Party{Name: "adv", Role: api.RoleAdvertiser, APIKeyHash: []byte("x"), Created: T0}); !errors.Is(err, store.ErrExists) {
			t.Errorf("duplicate party = %v", err)
		}
		if _, err := tx.Session(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown session = %v", err)
		}
		if err := tx.UpdateParty(ctx, store.Party{Name: "zz"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateParty(unknown) = %v", err)
		}
		return tx.AddSession(ctx, SampleSession("s1"))
	})
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Session(ctx, "s1")
		return err
	})
}

func testRollbackAndReadOnly(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.AddParty(ctx, store.Party{Name: "x", Role: api.RoleAuditor, APIKeyHash: []byte("x"), Created: T0}); err != nil {
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
		return tx.AddParty(ctx, store.Party{Name: "y", Role: api.RoleAuditor, APIKeyHash: []byte("y"), Created: T0})
	})
	if err == nil {
		t.Fatal("write inside ReadOnly succeeded")
	}
}

// testConcurrentReadCheckWrite runs many read-then-write transactions at
// once, as the transcript does when it extends its chain; none may act on
// a stale read (which would surface as ErrExists on the sequence number)
// or fail with a lock or serialization error.
func testConcurrentReadCheckWrite(t *testing.T, s store.Store) {
	AddParties(t, s, "adv", "pub", "aud", "zaud")
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddSession(ctx, SampleSession("s1")) })
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers+1)
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
					return tx.AppendEvent(ctx, store.Event{Session: "s1", Seq: next, Time: T0, Actor: "a", Type: "t", Data: []byte{}, Head: []byte{}})
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

// rendezvous lets the first attempt of each of n transactions wait inside
// its transaction until all n are there, so their reads and writes
// overlap on a store that lets writers run concurrently. It waits at most
// a moment: on a store that serializes writers from their start (SQLite)
// the others cannot arrive until the first commits.
type rendezvous struct {
	mu      sync.Mutex
	arrived int
	all     chan struct{}
	n       int
}

func newRendezvous(n int) *rendezvous { return &rendezvous{n: n, all: make(chan struct{})} }

func (r *rendezvous) wait() {
	r.mu.Lock()
	r.arrived++
	if r.arrived == r.n {
		close(r.all)
	}
	r.mu.Unlock()
	select {
	case <-r.all:
	case <-time.After(100 * time.Millisecond):
	}
}

// testConcurrentFinalParts is the race of two replicas each committing the
// final part of one side's set at the same moment: each transaction adds
// its part, then moves the session on if the other side's set is already
// complete. Whatever the interleaving, one of them must see the other's
// part; if neither did, the session would wait forever.
func testConcurrentFinalParts(t *testing.T, s store.Store) {
	AddParties(t, s, "adv", "pub", "aud", "zaud")
	const rounds = 10
	for round := range rounds {
		id := fmt.Sprintf("final-%d", round)
		sess := SampleSession(id)
		sess.State = api.StateUploading
		rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.AddSession(ctx, sess) })
		meet := newRendezvous(2)
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		for _, side := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
			other := api.RoleMediaPartner
			if side == other {
				other = api.RoleAdvertiser
			}
			wg.Go(func() {
				first := true
				errs <- s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
					if err := tx.AddPart(ctx, store.Part{Session: id, Side: side, Leg: store.LegBlinded, Records: 1,
						Counting: 1, Final: true, Digest: []byte{1}, File: id + "/" + string(side), Size: 1, Created: T0}); err != nil {
						return err
					}
					if first {
						first = false
						meet.wait()
					}
					parts, err := tx.Parts(ctx, id, other, store.LegBlinded)
					if err != nil || len(parts) == 0 || !parts[len(parts)-1].Final {
						return err
					}
					cur, err := tx.Session(ctx, id)
					if err != nil {
						return err
					}
					cur.State = api.StateExchanging
					return tx.UpdateSession(ctx, cur)
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		ro(t, s, func(ctx context.Context, tx store.Tx) error {
			got, err := tx.Session(ctx, id)
			if err == nil && got.State != api.StateExchanging {
				t.Errorf("round %d: both sets are complete but the session is %s", round, got.State)
			}
			return err
		})
	}
}

// errOverBudget is the refusal of testConcurrentBudget's reservations.
var errOverBudget = errors.New("over budget")

// testConcurrentBudget is the race of sessions of one pair reserving
// differential-privacy budget at the same moment (on several replicas):
// each reads the pair's spends and adds its own if it fits. The pair must
// never be charged more than its budget.
func testConcurrentBudget(t *testing.T, s store.Store) {
	AddParties(t, s, "adv", "pub", "aud", "zaud")
	const sessions, budget, epsilon = 6, 3.0, 1.0
	meet := newRendezvous(sessions)
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for i := range sessions {
		wg.Go(func() {
			first := true
			errs <- s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
				sess := SampleSession(fmt.Sprintf("dp-%d", i))
				if err := tx.AddSession(ctx, sess); err != nil {
					return err
				}
				spends, err := tx.Spends(ctx, "adv", "pub", T0.Add(-time.Hour))
				if err != nil {
					return err
				}
				if first {
					first = false
					meet.wait()
				}
				spent := 0.0
				for _, sp := range spends {
					spent += sp.Epsilon
				}
				if spent+epsilon > budget {
					return errOverBudget
				}
				return tx.AddSpend(ctx, store.Spend{Session: sess.ID, Advertiser: "adv", Partner: "pub", Epsilon: epsilon, Time: T0})
			})
		})
	}
	wg.Wait()
	close(errs)
	granted := 0
	for err := range errs {
		switch {
		case err == nil:
			granted++
		case !errors.Is(err, errOverBudget):
			t.Errorf("reservation failed with %v, want success or the refusal", err)
		}
	}
	ro(t, s, func(ctx context.Context, tx store.Tx) error {
		spends, err := tx.Spends(ctx, "adv", "pub", time.Time{})
		if len(spends) != int(budget/epsilon) || granted != len(spends) {
			t.Errorf("%d reservations granted, %d stored; the budget allows %d", granted, len(spends), int(budget/epsilon))
		}
		return err
	})
}

// sampleResults are a session's results as stores hold them: the
// advertiser's in the row, as stores written before result blobs have
// them, the partner's in the blob store.
var sampleResults = map[api.Role]store.Result{
	api.RoleAdvertiser:   {Inline: []byte(`{"a":1}`)},
	api.RoleMediaPartner: {Blob: "results/s1/media_partner-1.json", Size: 1 << 33},
}
