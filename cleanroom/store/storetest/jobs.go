package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

// jobCases is the part of the contract about the jobs table: background
// work claimed under leases by runners on any replica.
var jobCases = []testCase{
	{"JobsEnqueueIdempotent", testJobsEnqueue},
	{"JobsClaimOrder", testJobsClaimOrder},
	{"JobsLease", testJobsLease},
	{"JobsReadOnly", testJobsReadOnly},
	{"JobsConcurrentClaims", testJobsConcurrentClaims},
}

// jobs returns every queued job.
func jobs(t *testing.T, s store.Store) []store.Job {
	t.Helper()
	var out []store.Job
	ro(t, s, func(ctx context.Context, tx store.Tx) (err error) {
		out, err = tx.Jobs(ctx)
		return err
	})
	return out
}

// enqueue queues jobs that must all be new and returns them as Jobs lists
// them (with their ids).
func enqueue(t *testing.T, s store.Store, js ...store.Job) {
	t.Helper()
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, j := range js {
			added, err := tx.EnqueueJob(ctx, j)
			if err != nil {
				return err
			}
			if !added {
				t.Errorf("EnqueueJob(%s %q %q) = not added, want added", j.Kind, j.Session, j.Arg)
			}
		}
		return nil
	})
}

// claim runs one ClaimJob in its own transaction.
func claim(s store.Store, owner string, now time.Time, lease time.Duration) (j store.Job, expired bool, err error) {
	err = s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
		j, expired, err = tx.ClaimJob(ctx, owner, now, lease)
		return err
	})
	return j, expired, err
}

// mustClaim claims and checks the job's id and whether its lease had run
// out.
func mustClaim(t *testing.T, s store.Store, owner string, now time.Time, lease time.Duration, wantID int64, wantExpired bool) store.Job {
	t.Helper()
	j, expired, err := claim(s, owner, now, lease)
	if err != nil {
		t.Fatalf("ClaimJob(%s, %v) = %v, want job %d", owner, now, err, wantID)
	}
	if j.ID != wantID || expired != wantExpired {
		t.Fatalf("ClaimJob(%s, %v) = job %d, expired %v; want job %d, expired %v", owner, now, j.ID, expired, wantID, wantExpired)
	}
	return j
}

// noClaim checks that nothing is claimable at now.
func noClaim(t *testing.T, s store.Store, now time.Time) {
	t.Helper()
	if j, _, err := claim(s, "nobody", now, time.Minute); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ClaimJob at %v = job %+v, %v; want ErrNotFound", now, j, err)
	}
}

func testJobsEnqueue(t *testing.T, s store.Store) {
	relay := store.Job{Kind: store.JobRelay, Session: "s1", Arg: "advertiser", Due: T0, Created: T0.Add(-time.Second),
		// Ignored by EnqueueJob: a new job is unclaimed.
		ID: 99, Attempts: 7, Owner: "someone", LeaseUntil: T0.Add(time.Hour), LastError: "old"}
	other := store.Job{Kind: store.JobRelay, Session: "s1", Arg: "media_partner", Due: T0, Created: T0}
	sweep := store.Job{Kind: store.JobRetention, Due: T0.Add(time.Minute), Created: T0}
	enqueue(t, s, relay, other, sweep)
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		again := relay
		again.Due = T0.Add(-time.Hour) // an already queued job keeps its own due time
		added, err := tx.EnqueueJob(ctx, again)
		if err != nil || added {
			t.Errorf("EnqueueJob of a queued job = %v, %v; want false, nil", added, err)
		}
		return err
	})
	got := jobs(t, s)
	if len(got) != 3 {
		t.Fatalf("Jobs = %+v, want 3 jobs", got)
	}
	want := []store.Job{
		{ID: got[0].ID, Kind: store.JobRelay, Session: "s1", Arg: "advertiser", Due: T0, Created: T0.Add(-time.Second)},
		{ID: got[1].ID, Kind: store.JobRelay, Session: "s1", Arg: "media_partner", Due: T0, Created: T0},
		{ID: got[2].ID, Kind: store.JobRetention, Due: T0.Add(time.Minute), Created: T0},
	}
	if !reflect.DeepEqual(got, want) || got[0].ID >= got[1].ID {
		t.Fatalf("Jobs = %+v\nwant %+v (ids in enqueue order)", got, want)
	}
	// Claimed, it is still queued; finished, it may be queued again.
	first := mustClaim(t, s, "r1", T0, time.Minute, got[0].ID, false)
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if added, err := tx.EnqueueJob(ctx, relay); err != nil || added {
			t.Errorf("EnqueueJob of a claimed job = %v, %v; want false, nil", added, err)
		}
		return tx.FinishJob(ctx, first.ID, "r1")
	})
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		added, err := tx.EnqueueJob(ctx, relay)
		if err == nil && !added {
			t.Error("EnqueueJob of a finished job = not added")
		}
		return err
	})
	got = jobs(t, s)
	if len(got) != 3 || got[1].Arg != "advertiser" || got[1].ID <= want[2].ID || got[1].Attempts != 0 {
		t.Fatalf("after re-enqueueing a finished job: %+v", got)
	}
}

func testJobsClaimOrder(t *testing.T, s store.Store) {
	// Enqueued in this order, so ids ascend; claims go by due, then id.
	enqueue(t, s,
		store.Job{Kind: store.JobJoin, Session: "late", Due: T0.Add(2 * time.Second), Created: T0},
		store.Job{Kind: store.JobJoin, Session: "a", Due: T0.Add(time.Second), Created: T0},
		store.Job{Kind: store.JobJoin, Session: "b", Due: T0.Add(time.Second), Created: T0},
		store.Job{Kind: store.JobBlobSweep, Due: T0.Add(time.Hour), Created: T0},
	)
	all := jobs(t, s)
	if len(all) != 4 || all[0].Session != "a" || all[1].Session != "b" || all[2].Session != "late" || all[3].Kind != store.JobBlobSweep {
		t.Fatalf("Jobs not by due then id: %+v", all)
	}
	noClaim(t, s, T0.Add(time.Second-time.Nanosecond))
	now, lease := T0.Add(time.Second), 2*time.Hour // due at or before now
	mustClaim(t, s, "r", now, lease, all[0].ID, false)
	mustClaim(t, s, "r", now, lease, all[1].ID, false)
	noClaim(t, s, now)
	mustClaim(t, s, "r", T0.Add(2*time.Second), lease, all[2].ID, false)
	noClaim(t, s, T0.Add(time.Hour-time.Nanosecond))
}

func testJobsLease(t *testing.T, s store.Store) {
	enqueue(t, s, store.Job{Kind: store.JobRelay, Session: "s1", Arg: "advertiser", Due: T0, Created: T0})
	id := jobs(t, s)[0].ID
	lease := time.Minute
	a := mustClaim(t, s, "a", T0, lease, id, false)
	want := store.Job{ID: id, Kind: store.JobRelay, Session: "s1", Arg: "advertiser", Due: T0, Attempts: 1,
		Owner: "a", LeaseUntil: T0.Add(lease), Created: T0}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("claimed %+v\nwant %+v", a, want)
	}
	if got := jobs(t, s); !reflect.DeepEqual(got, []store.Job{want}) {
		t.Fatalf("Jobs after the claim = %+v\nwant %+v", got, want)
	}
	noClaim(t, s, T0.Add(lease)) // the lease runs out only after LeaseUntil
	// Runner a stalled; b takes the job over.
	b := mustClaim(t, s, "b", T0.Add(lease+time.Nanosecond), lease, id, true)
	want.Owner, want.Attempts, want.LeaseUntil = "b", 2, T0.Add(2*lease+time.Nanosecond)
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("claimed after expiry %+v\nwant %+v", b, want)
	}
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		for name, err := range map[string]error{
			"ExtendLease": tx.ExtendLease(ctx, id, "a", T0.Add(time.Hour)),
			"FinishJob":   tx.FinishJob(ctx, id, "a"),
			"ReleaseJob":  tx.ReleaseJob(ctx, id, "a", T0, "stale"),
			// An empty owner holds nothing, not even unclaimed jobs.
			"ExtendLease(\"\")": tx.ExtendLease(ctx, id, "", T0.Add(time.Hour)),
			"ExtendLease(gone)": tx.ExtendLease(ctx, id+1000, "b", T0.Add(time.Hour)),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s by a runner without the lease = %v, want ErrNotFound", name, err)
			}
		}
		// The stale runner's answers left the transaction usable.
		return tx.ExtendLease(ctx, id, "b", T0.Add(10*time.Minute))
	})
	want.LeaseUntil = T0.Add(10 * time.Minute)
	if got := jobs(t, s); !reflect.DeepEqual(got, []store.Job{want}) {
		t.Fatalf("Jobs after the stale runner and the extension = %+v\nwant %+v", got, want)
	}
	noClaim(t, s, T0.Add(10*time.Minute))
	// b fails and gives the job back for later.
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.ReleaseJob(ctx, id, "b", T0.Add(20*time.Minute), "relay: part 3 unreadable")
	})
	want.Owner, want.LeaseUntil, want.Due, want.LastError = "", time.Time{}, T0.Add(20*time.Minute), "relay: part 3 unreadable"
	if got := jobs(t, s); !reflect.DeepEqual(got, []store.Job{want}) {
		t.Fatalf("Jobs after release = %+v\nwant %+v", got, want)
	}
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		for name, err := range map[string]error{
			"FinishJob(b)":     tx.FinishJob(ctx, id, "b"),
			"FinishJob(\"\")":  tx.FinishJob(ctx, id, ""),
			"ReleaseJob(\"\")": tx.ReleaseJob(ctx, id, "", T0, ""),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s of a released job = %v, want ErrNotFound", name, err)
			}
		}
		return nil
	})
	noClaim(t, s, T0.Add(20*time.Minute-time.Nanosecond))
	// A released job is claimed as new, not as expired.
	c := mustClaim(t, s, "c", T0.Add(20*time.Minute), lease, id, false)
	if c.Attempts != 3 || c.LastError != want.LastError {
		t.Fatalf("claim after release = %+v, want attempt 3 keeping the last error", c)
	}
	rw(t, s, func(ctx context.Context, tx store.Tx) error { return tx.FinishJob(ctx, id, "c") })
	if got := jobs(t, s); len(got) != 0 {
		t.Fatalf("Jobs after finishing = %+v", got)
	}
	rw(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.FinishJob(ctx, id, "c"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second FinishJob = %v, want ErrNotFound", err)
		}
		return nil
	})
	// A claim without an owner would look unclaimed, and one without a
	// lease would expire at once: both are refused.
	enqueue(t, s, store.Job{Kind: store.JobRetention, Due: T0, Created: T0})
	for _, bad := range []struct {
		owner string
		lease time.Duration
	}{{"", time.Minute}, {"d", 0}, {"d", -time.Minute}} {
		if j, _, err := claim(s, bad.owner, T0, bad.lease); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("ClaimJob(%q, lease %v) = %+v, %v; want a refusal", bad.owner, bad.lease, j, err)
		}
	}
}

// testJobsReadOnly pins that every job write fails inside ReadOnly, even
// one whose conditions hold, and changes nothing.
func testJobsReadOnly(t *testing.T, s store.Store) {
	enqueue(t, s,
		store.Job{Kind: store.JobJoin, Session: "held", Due: T0, Created: T0},
		store.Job{Kind: store.JobJoin, Session: "free", Due: T0.Add(time.Second), Created: T0})
	held := mustClaim(t, s, "a", T0, time.Minute, jobs(t, s)[0].ID, false)
	before := jobs(t, s)
	for name, write := range map[string]func(ctx context.Context, tx store.Tx) error{
		"EnqueueJob": func(ctx context.Context, tx store.Tx) error {
			_, err := tx.EnqueueJob(ctx, store.Job{Kind: store.JobJoin, Session: "new", Due: T0, Created: T0})
			return err
		},
		"ClaimJob": func(ctx context.Context, tx store.Tx) error {
			_, _, err := tx.ClaimJob(ctx, "b", T0.Add(time.Second), time.Minute)
			return err
		},
		"ExtendLease": func(ctx context.Context, tx store.Tx) error {
			return tx.ExtendLease(ctx, held.ID, "a", T0.Add(time.Hour))
		},
		"ReleaseJob": func(ctx context.Context, tx store.Tx) error { return tx.ReleaseJob(ctx, held.ID, "a", T0, "x") },
		"FinishJob":  func(ctx context.Context, tx store.Tx) error { return tx.FinishJob(ctx, held.ID, "a") },
	} {
		if err := s.ReadOnly(context.Background(), write); err == nil {
			t.Errorf("%s inside ReadOnly succeeded", name)
		}
	}
	if after := jobs(t, s); !reflect.DeepEqual(after, before) {
		t.Fatalf("ReadOnly writes changed the jobs:\n%+v\nwas %+v", after, before)
	}
}

// testJobsConcurrentClaims is runners on several replicas draining one
// queue at once, each claiming in one transaction and finishing in
// another, as a runner does around its work: every job must be claimed
// exactly once, none lost, and no claim may fail on contention. A quarter
// of the jobs were claimed by a runner that died: taking them over races
// the same way and must report the expiry.
func testJobsConcurrentClaims(t *testing.T, s store.Store) {
	const runners, queued, dead = 8, 40, 10
	var js []store.Job
	for i := range queued {
		js = append(js, store.Job{Kind: store.JobJoin, Session: fmt.Sprintf("s%02d", i), Due: T0.Add(time.Duration(i%5) * time.Millisecond), Created: T0})
	}
	enqueue(t, s, js...)
	orphaned := make(map[int64]bool)
	for range dead {
		j, _, err := claim(s, "dead", T0.Add(time.Second), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		orphaned[j.ID] = true
	}
	var (
		mu      sync.Mutex
		claimed = make(map[int64][]string) // job id -> runners that claimed it
		wg      sync.WaitGroup
	)
	errs := make(chan error, runners)
	for r := range runners {
		owner := fmt.Sprintf("runner-%d", r)
		wg.Go(func() {
			for {
				j, expired, err := claim(s, owner, T0.Add(time.Hour), time.Hour)
				if errors.Is(err, store.ErrNotFound) {
					return
				}
				if err != nil {
					errs <- fmt.Errorf("%s: claim: %w", owner, err)
					return
				}
				if expired != orphaned[j.ID] {
					errs <- fmt.Errorf("%s: claim of job %d: expired = %v, want %v", owner, j.ID, expired, orphaned[j.ID])
					return
				}
				mu.Lock()
				claimed[j.ID] = append(claimed[j.ID], owner)
				mu.Unlock()
				if err := s.ReadWrite(context.Background(), func(ctx context.Context, tx store.Tx) error {
					return tx.FinishJob(ctx, j.ID, owner)
				}); err != nil {
					errs <- fmt.Errorf("%s: finish job %d: %w", owner, j.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(claimed) != queued {
		t.Errorf("%d jobs claimed, want %d", len(claimed), queued)
	}
	for id, owners := range claimed {
		if len(owners) != 1 {
			t.Errorf("job %d claimed by %v", id, owners)
		}
	}
	if left := jobs(t, s); len(left) != 0 {
		t.Errorf("jobs left over: %+v", left)
	}
}
