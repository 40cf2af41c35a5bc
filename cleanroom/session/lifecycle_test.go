package session

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/atomicfile"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

var smallSegments = []string{"s0", "s1", "s2"}

func smallTruth(t *testing.T, policyJSON string, a, b *partyData) truth {
	t.Helper()
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		t.Fatal(err)
	}
	mask, _ := pol.SegmentMask(smallSegments)
	tr := groundTruth(t, a.rows, b.rows, len(smallSegments), mask)
	if len(activatedOf(tr, 5)) == 0 || tr.overlap < 10 {
		t.Fatalf("test data too weak: %+v", tr)
	}
	return tr
}

// commitOnly records a re-blinded part the way PutReblinded does, which
// queues the join without running it.
func (h *harness) commitOnly(p Principal, id string, part []byte) {
	h.t.Helper()
	side := p.Role
	relayed, err := h.svc.relay(context.Background(), id, side)
	if err != nil {
		h.t.Fatal(err)
	}
	sid, _ := parseID(id)
	st, err := h.svc.stage(context.Background(), id, store.LegReblinded, side, bytes.NewReader(part), &joinCheck{session: sid, relayed: relayed})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.svc.commit(context.Background(), p, id, store.LegReblinded, st); err != nil {
		h.t.Fatal(err)
	}
}

// uncomputed runs a session with segments up to the commit of the last
// re-blinded part, without the join.
func (h *harness) uncomputed(policyJSON string) (string, *partyData, *partyData) {
	h.t.Helper()
	sess := h.createJoined(policyJSON, smallSegments...)
	a, b := smallParties(h.t, policyJSON, len(smallSegments))
	h.uploadBlinded(sess.ID, a, 25)
	h.uploadBlinded(sess.ID, b, 25)
	joinA := wiretest.Reblind(h.t, a.key, h.download(sess.ID, adv))
	joinB := wiretest.Reblind(h.t, b.key, h.download(sess.ID, partner))
	h.uploadReblinded(sess.ID, adv, joinA)
	h.uploadReblinded(sess.ID, partner, joinB[:len(joinB)-1])
	h.commitOnly(partner, sess.ID, joinB[len(joinB)-1])
	return sess.ID, a, b
}

func TestRestartLosesNothing(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RelayPartRecords = 15 })
	ctx := context.Background()
	sess := h.createJoined(smallPolicy, smallSegments...)
	a, b := smallParties(t, smallPolicy, len(smallSegments))
	aParts := wiretest.Parts(t, sess.ID, wire.KindBlinded, a.attrs, a.blindedRecords(t), 25)
	for _, p := range aParts[:2] {
		if _, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(p)); err != nil {
			t.Fatal(err)
		}
	}
	h.reopen()
	if _, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(aParts[2])); err != nil {
		t.Fatal(err)
	}
	h.uploadBlinded(sess.ID, b, 25)
	relayA := h.download(sess.ID, adv)

	// Leftovers of a crash: a temporary file and a renamed but unrecorded
	// part, old enough for the blob sweep; and the same, fresh, as another
	// replica's upload in flight would look. The old ones must go, the
	// fresh ones and every recorded file must stay.
	dir := h.sessionDir(sess.ID)
	old := []string{atomicfile.TempPrefix + "123", "blinded-advertiser-000009-0011223344556677.part"}
	fresh := []string{atomicfile.TempPrefix + "456", "blinded-advertiser-000010-8899aabbccddeeff.part"}
	for _, name := range append(old, fresh...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range old {
		at := h.clock.Now().Add(-DefaultBlobGrace - time.Minute)
		if err := os.Chtimes(filepath.Join(dir, name), at, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range fresh {
		if err := os.Chtimes(filepath.Join(dir, name), h.clock.Now(), h.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	h.reopen()
	if err := h.svc.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range old {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("leftover %s survived the blob sweep", name)
		}
	}
	for _, name := range fresh {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the blob sweep deleted %s, younger than its grace: %v", name, err)
		}
		os.Remove(filepath.Join(dir, name))
	}
	if again := h.download(sess.ID, adv); !reflect.DeepEqual(again, relayA) {
		t.Fatal("the relayed set changed across a restart")
	}
	h.uploadReblinded(sess.ID, adv, wiretest.Reblind(t, a.key, relayA))
	h.reopen()
	h.uploadReblinded(sess.ID, partner, wiretest.Reblind(t, b.key, h.download(sess.ID, partner)))
	ra, rb := h.results(sess.ID)
	checkResults(t, ra, rb, smallTruth(t, smallPolicy, a, b), 5, smallSegments, activatedOf(smallTruth(t, smallPolicy, a, b), 5))
	tr, err := h.svc.Transcript(ctx, adv, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := transcript.Verify(tr, h.svc.TranscriptPublicKey()); err != nil {
		t.Fatalf("transcript across restarts: %v", err)
	}
}

// activatedOf lists the segments whose activation count reaches k.
func activatedOf(tr truth, k int64) []string {
	var out []string
	for j, n := range tr.actCounts {
		if n >= k {
			out = append(out, smallSegments[j])
		}
	}
	return out
}

// TestInterruptedJoinResumes: a join whose runner died (its lease runs
// out), or that a store from before the jobs table never queued, runs
// and releases the same results as an uninterrupted one.
func TestInterruptedJoinResumes(t *testing.T) {
	for _, interrupted := range []string{"runner killed", "store without the job"} {
		t.Run(interrupted, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			id, a, b := h.uncomputed(smallPolicy)
			var join store.Job
			err := h.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				join, _, err = tx.ClaimJob(ctx, "dead-replica", h.clock.Now(), time.Minute)
				if err == nil && interrupted == "store without the job" {
					err = tx.FinishJob(ctx, join.ID, "dead-replica")
				}
				return err
			})
			if err != nil || join.Kind != store.JobJoin {
				t.Fatalf("claiming the join job: %+v %v", join, err)
			}
			h.reopen()
			h.runJobs()
			if _, err := h.svc.Results(ctx, adv, id); interrupted == "runner killed" && !errors.Is(err, ErrNotReady) {
				t.Fatalf("results while a dead runner's lease runs: %v, want ErrNotReady", err)
			}
			h.clock.Advance(time.Minute + time.Second)
			h.runJobs()
			if interrupted == "runner killed" && h.jobs.Stats().Expired != 1 {
				t.Fatalf("jobs %+v: want the dead runner's join taken over", h.jobs.Stats())
			}
			ra, rb := h.results(id)
			tr := smallTruth(t, smallPolicy, a, b)
			checkResults(t, ra, rb, tr, 5, smallSegments, activatedOf(tr, 5))
		})
	}
}

func TestDPDeterministic(t *testing.T) {
	const dpPolicy = `{"min_rows": 10, "k": 5, "dp": {"epsilon": 0.5}}`
	h := newHarness(t)
	id, a, b := h.uncomputed(dpPolicy)
	h.close()
	// Two copies of the same data directory compute independently.
	var views [][2]api.Results
	for range 2 {
		dir := t.TempDir()
		copyDir(t, h.dir, dir)
		c := harnessAt(t, dir)
		c.runJobs()
		ra, rb := c.results(id)
		views = append(views, [2]api.Results{ra, rb})
		c.close()
	}
	if !reflect.DeepEqual(views[0], views[1]) {
		t.Fatalf("noisy results differ between two computations:\n%+v\n%+v", views[0], views[1])
	}
	ra, rb := views[0][0], views[0][1]
	if ra.DPEpsilon == nil || *ra.DPEpsilon != 0.5 || rb.DPEpsilon == nil {
		t.Fatalf("dp epsilon not reported: %v %v", ra.DPEpsilon, rb.DPEpsilon)
	}
	tr := smallTruth(t, dpPolicy, a, b)
	exact := []int64{tr.overlap}
	noisy := []*int64{ra.Overlap}
	for j, name := range smallSegments {
		exact = append(exact, tr.segments[j])
		noisy = append(noisy, ra.Segments[name])
	}
	differ := false
	for i := range exact {
		if noisy[i] == nil {
			continue
		}
		if *noisy[i] < 5 || *noisy[i] > tr.advRows {
			t.Errorf("count %d released as %d: below k or above the set size", i, *noisy[i])
		}
		differ = differ || *noisy[i] != exact[i]
	}
	if !differ {
		t.Errorf("no released count carries noise: %v", exact)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBudget(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DPBudget = 2.5 })
	ctx := context.Background()
	create := func(p Principal, eps string) (api.Session, error) {
		return h.svc.Create(ctx, p, api.CreateSessionRequest{Partner: partner.Party, MatchKey: api.MatchKeyEmail,
			Policy: json.RawMessage(`{"dp": {"epsilon": ` + eps + `}}`)})
	}
	first, err := create(adv, "1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := create(adv, "1"); err != nil {
		t.Fatal(err)
	}
	_, err = create(adv, "1")
	wantErr(t, err, ErrBudgetExhausted)
	if _, err := create(adv, "0.5"); err != nil {
		t.Fatalf("the last 0.5 does not fit: %v", err)
	}
	_, err = create(adv, "0.01")
	wantErr(t, err, ErrBudgetExhausted)
	if _, err := create(rivalA, "2"); err != nil {
		t.Fatalf("another pair is charged: %v", err)
	}
	if _, err := h.svc.Create(ctx, adv, api.CreateSessionRequest{Partner: partner.Party, MatchKey: api.MatchKeyEmail}); err != nil {
		t.Fatalf("a session without dp needs no budget: %v", err)
	}
	list, _ := h.svc.List(ctx, adv)
	if len(list) != 4 {
		t.Fatalf("%d sessions, want 4 (refused ones must not exist)", len(list))
	}
	// A session deleted before any release gives its epsilon back.
	if _, err := h.svc.Delete(ctx, adv, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := create(adv, "1"); err != nil {
		t.Fatalf("refund: %v", err)
	}
	_, err = create(adv, "1")
	wantErr(t, err, ErrBudgetExhausted)
	// Spends leave the window after 30 days.
	h.clock.Advance(30*24*time.Hour + time.Second)
	if _, err := create(adv, "2.5"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestSweep(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	computed := h.smallAt(api.StateComputed)
	short := h.createJoined(`{"min_rows": 10, "k": 5, "retention_days": 1}`)
	a, b := smallParties(t, smallPolicy, 0)
	h.runSession(short.ID, a, b, 30)
	stalled := h.smallAt(api.StateUploading)
	active := h.smallAt(api.StateJoined)

	h.clock.Advance(24 * time.Hour)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	states := func() map[string]api.State {
		out := map[string]api.State{}
		for name, id := range map[string]string{"computed": computed.id, "short": short.ID, "stalled": stalled.id, "active": active.id} {
			s, err := h.svc.Get(ctx, adv, id)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = s.State
		}
		return out
	}
	want := map[string]api.State{"computed": api.StateComputed, "short": api.StatePurged, "stalled": api.StateUploading, "active": api.StateJoined}
	if got := states(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after one day: %v", got)
	}
	if _, err := os.Stat(h.sessionDir(short.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Error("purged session's files remain")
	}
	if ra, _ := h.results(short.ID); ra.Overlap == nil {
		t.Error("results of a purged session are gone")
	}
	tr, err := h.svc.Transcript(ctx, partner, short.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := tr.Events[len(tr.Events)-1]; last.Type != transcript.TypePurged || last.Data[keyReason] != reasonRetention {
		t.Errorf("last event %+v", last)
	}

	// Progress keeps a session alive; silence for ExpireAfter ends it.
	h.clock.Advance(DefaultExpireAfter - 48*time.Hour)
	h.uploadBlinded(active.id, active.a, 100)
	h.clock.Advance(48 * time.Hour)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	want = map[string]api.State{"computed": api.StateComputed, "short": api.StatePurged, "stalled": api.StateExpired, "active": api.StateUploading}
	if got := states(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a week: %v", got)
	}
	if _, err := os.Stat(h.sessionDir(stalled.id)); !errors.Is(err, os.ErrNotExist) {
		t.Error("expired session's files remain")
	}
	_, err = h.svc.Results(ctx, adv, stalled.id)
	wantErr(t, err, ErrWrongState)

	h.clock.Advance(30 * 24 * time.Hour)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := states(); got["computed"] != api.StatePurged || got["active"] != api.StateExpired {
		t.Fatalf("after retention: %v", got)
	}
	counts, _ := h.svc.StateCounts(ctx)
	if !reflect.DeepEqual(counts, map[api.State]int{api.StatePurged: 2, api.StateExpired: 2}) {
		t.Errorf("StateCounts = %v", counts)
	}
	entries, _ := os.ReadDir(filepath.Join(h.dir, partsDir))
	if len(entries) != 0 {
		t.Errorf("%d session directories left", len(entries))
	}
}
