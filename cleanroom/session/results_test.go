package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// computedSession runs the full session of TestFullSession (3,000 rows a
// side, four segments, two of them released for activation) and returns
// its id, both parties' results as served and the ground truth.
func (h *harness) computedSession(t *testing.T) (string, [2][]byte, truth) {
	t.Helper()
	pol, err := policy.Parse([]byte(fullPolicy))
	if err != nil {
		h.t.Fatal(err)
	}
	sess := h.createJoined(fullPolicy, fullSegments...)
	advRows, partnerRows := fullRows()
	a := newParty(h.t, adv, advRows, pol, len(fullSegments))
	b := newParty(h.t, partner, partnerRows, pol, 0)
	ra, rb := h.runSession(sess.ID, a, b, 700)
	mask, _ := pol.SegmentMask(fullSegments)
	want := groundTruth(h.t, advRows, partnerRows, len(fullSegments), mask)
	checkResults(t, ra, rb, want, pol.K, fullSegments, []string{"loyal", "new"})
	return sess.ID, [2][]byte{h.resultsJSON(sess.ID, adv), h.resultsJSON(sess.ID, partner)}, want
}

// storedResult reads the store's record of side's results.
func (h *harness) storedResult(id string, side api.Role) store.Result {
	h.t.Helper()
	var r store.Result
	err := h.store.ReadOnly(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		r, err = tx.Result(ctx, id, side)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// resultObjects lists the objects under the session's results prefix.
func (h *harness) resultObjects(id string) []string {
	h.t.Helper()
	objects, err := h.svc.blobs.List(context.Background(), resultsPrefix(id))
	if err != nil {
		h.t.Fatal(err)
	}
	var keys []string
	for _, o := range objects {
		keys = append(keys, o.Key)
	}
	return keys
}

// putObject commits data under key in the service's blob store.
func (h *harness) putObject(key string, data []byte) {
	h.t.Helper()
	ctx := context.Background()
	p, err := h.svc.blobs.Create(ctx, key[:strings.LastIndex(key, "/")+1])
	if err != nil {
		h.t.Fatal(err)
	}
	defer p.Abort()
	if _, err := p.Write(data); err != nil {
		h.t.Fatal(err)
	}
	if err := p.Commit(ctx, key); err != nil {
		h.t.Fatal(err)
	}
}

// TestResultsInBlobStore: a session's results are objects of the blob
// store under results/<session>/, which the row names with their size,
// in a small memory budget with the activation cut into many scratch
// buckets; the bytes served are the object's, and the exact results
// (computedSession checks them against the ground truth and their
// commitments). No scratch file is left.
func TestResultsInBlobStore(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.MemoryBudget, c.JoinShards, c.ScratchDir = MinMemoryBudget, 7, t.TempDir()
	})
	id, served, want := h.computedSession(t)
	h.wantJoined(id, 7)
	if len(want.activation) < 250 {
		t.Fatalf("test data: %d activation records; the test wants many", len(want.activation))
	}
	var keys []string
	for i, side := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
		r := h.storedResult(id, side)
		if r.Inline != nil || !strings.HasPrefix(r.Blob, resultsPrefix(id)+string(side)+"-") || r.Size != int64(len(served[i])) {
			t.Fatalf("%s: stored as %q (%d bytes), inline %d bytes; want an object of results/%s/ of %d bytes",
				side, r.Blob, r.Size, len(r.Inline), id, len(served[i]))
		}
		got, err := os.ReadFile(filepath.Join(h.dir, filepath.FromSlash(r.Blob)))
		if err != nil || !bytes.Equal(got, served[i]) {
			t.Fatalf("%s: object %s does not hold the results served (%v)", side, r.Blob, err)
		}
		keys = append(keys, r.Blob)
	}
	slices.Sort(keys)
	if objects := h.resultObjects(id); !slices.Equal(objects, keys) {
		t.Fatalf("results objects %q, want exactly the recorded %q", objects, keys)
	}
}

// TestResultsOutliveSession: a purge, retention and the blob sweep leave
// the results objects that rows name, so results stay readable, byte for
// byte; the sweep deletes results objects no row names: at once once the
// session is past exchanging, after the grace while a join might still
// record them.
func TestResultsOutliveSession(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, served, _ := h.computedSession(t)
	recorded := h.resultObjects(id)
	// An object of a join whose transaction lost, and a temporary one.
	stray := resultsPrefix(id) + "media_partner-0123456789abcdef.json"
	h.putObject(stray, []byte(`{"stray":true}`))
	if _, err := h.svc.Delete(ctx, adv, id); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(400 * 24 * time.Hour)
	if err := h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if objects := h.resultObjects(id); !slices.Equal(objects, recorded) {
		t.Fatalf("after purge and sweeps: objects %q, want the recorded %q only", objects, recorded)
	}
	for i, p := range []Principal{adv, partner} {
		if got := h.resultsJSON(id, p); !bytes.Equal(got, served[i]) {
			t.Fatalf("%s results changed after the purge", p.Role)
		}
	}

	// A session still exchanging: its unrecorded results object is kept
	// for the grace, then deleted. Object ages are the file system's, so
	// the clock moves to the real time first.
	live := h.createJoined("")
	if err := h.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		s, err := tx.Session(ctx, live.ID)
		if err != nil {
			return err
		}
		s.State = api.StateExchanging
		return tx.UpdateSession(ctx, s)
	}); err != nil {
		t.Fatal(err)
	}
	pending := resultsPrefix(live.ID) + "advertiser-0123456789abcdef.json"
	h.putObject(pending, []byte(`{}`))
	h.clock.Advance(time.Since(h.clock.Now()))
	if err := h.svc.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if objects := h.resultObjects(live.ID); !slices.Equal(objects, []string{pending}) {
		t.Fatalf("within the grace: objects %q, want %q kept", objects, pending)
	}
	h.clock.Advance(DefaultBlobGrace + time.Minute)
	if err := h.svc.SweepBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if objects := h.resultObjects(live.ID); len(objects) != 0 {
		t.Fatalf("after the grace: objects %q, want none", objects)
	}
	if objects := h.resultObjects(id); !slices.Equal(objects, recorded) {
		t.Fatalf("recorded results objects %q became %q", recorded, objects)
	}
}

// TestResultsLegacyInline: a row written before results went to the blob
// store holds the JSON itself, which is served as it is.
func TestResultsLegacyInline(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, served, _ := h.computedSession(t)
	err := h.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.SetResults(ctx, id, store.Result{Inline: served[0]}, store.Result{Inline: served[1]})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range h.resultObjects(id) {
		if err := h.svc.blobs.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range []Principal{adv, partner} {
		if got := h.resultsJSON(id, p); !bytes.Equal(got, served[i]) {
			t.Fatalf("%s inline results served as\n%s\nwant\n%s", p.Role, got, served[i])
		}
	}
	h.results(id) // and they still open their commitments
}

// TestResultsObjectMissing: a row naming an object the blob store lost
// is an internal error (500 at the HTTP layer), not a panic, not "not
// found" (the session exists) and not "not ready" (no retry mends it).
func TestResultsObjectMissing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, _, _ := h.computedSession(t)
	if err := h.svc.blobs.Delete(ctx, h.storedResult(id, api.RoleMediaPartner).Blob); err != nil {
		t.Fatal(err)
	}
	_, err := h.svc.Results(ctx, partner, id)
	if err == nil || !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("results of a lost object: %v, want an error wrapping blobs.ErrNotFound", err)
	}
	for _, sentinel := range []error{ErrNotFound, ErrNotReady, ErrWrongState, ErrBadRequest} {
		if errors.Is(err, sentinel) {
			t.Fatalf("results of a lost object: %v, which reads as %v", err, sentinel)
		}
	}
	if _, err := h.svc.Results(ctx, adv, id); err != nil {
		t.Fatalf("the advertiser's results, whose object is there: %v", err)
	}
}

// TestActivationSpillOrder: activations added in any order come back
// from the spill, through any number of record-range buckets, in record
// order, cut down to the released segments, those in no released segment
// dropped; a record beyond the set is refused.
func TestActivationSpillOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	const records = 10000
	var acts []activation
	for _, r := range rng.Perm(records)[:3000] {
		acts = append(acts, activation{record: uint64(r), segments: rng.Uint64N(16)})
	}
	released := uint64(0b1010)
	var want []activation
	for _, a := range acts {
		if a.segments&released != 0 {
			want = append(want, activation{record: a.record, segments: a.segments & released})
		}
	}
	slices.SortFunc(want, compareActivations)
	for _, shards := range []int{0, 1, 7, 64, records + 5} {
		t.Run(fmt.Sprint(shards), func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.MemoryBudget, c.JoinShards, c.ScratchDir = MinMemoryBudget, shards, t.TempDir() })
			sp, err := h.svc.newActivationSpill(records)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range acts {
				sp.add(a)
			}
			b, err := sp.finish()
			if err != nil {
				t.Fatal(err)
			}
			defer b.Remove()
			sorted, err := h.svc.sortActivations(b, released)
			if err != nil {
				t.Fatal(err)
			}
			defer sorted.Remove()
			got := readActivations(t, sorted)
			if !slices.Equal(got, want) {
				t.Fatalf("%d activations back in %d buckets, want %d in record order", len(got), b.Count(), len(want))
			}

			beyond, err := h.svc.newActivationSpill(records)
			if err != nil {
				t.Fatal(err)
			}
			beyond.add(activation{record: 5, segments: 1})
			beyond.add(activation{record: records + 2*uint64(max(shards, 1)), segments: 1})
			if _, err := beyond.finish(); !errors.Is(err, errCorrupt) {
				t.Fatalf("an activation beyond the set: %v, want errCorrupt", err)
			}
		})
	}
}

func readActivations(t *testing.T, b *spill.Buckets) []activation {
	t.Helper()
	var out []activation
	if err := b.Each(0, func(rec []byte) error { out = append(out, getActivation(rec)); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
