package session

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// TestConcurrentRelayPreparedOnce runs the relay job of one side in two
// services on one store at once, as two replicas do when one took over
// the lease of a runner that was only slow, while parties already wait
// for the counterpart set: everyone gets the same bytes, and the relay is
// recorded once.
func TestConcurrentRelayPreparedOnce(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RelayPartRecords, c.RelayWait = 10, 10*time.Second })
	s := h.smallAt(api.StateUploading)
	for _, p := range s.blindB {
		if _, err := h.svc.PutBlinded(context.Background(), partner, s.id, bytes.NewReader(p)); err != nil {
			t.Fatal(err)
		}
	}
	other, err := New(h.cfg) // a second replica: its own session locks
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	bodies := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	relayJob := store.Job{Kind: store.JobRelay, Session: s.id, Arg: string(api.RoleAdvertiser)}
	for _, svc := range []*Service{h.svc, other} {
		wg.Go(func() {
			if err := svc.Handlers()[store.JobRelay](context.Background(), relayJob); err != nil {
				t.Errorf("relay job: %v", err)
			}
		})
	}
	for i := range n {
		wg.Go(func() {
			d, err := h.svc.Counterpart(context.Background(), adv, s.id, 2)
			if err != nil {
				errs[i] = err
				return
			}
			defer d.Body.Close()
			bodies[i], errs[i] = io.ReadAll(d.Body)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("request %d got other bytes", i)
		}
	}
	if relayed := h.relayedEvents(s.id); len(relayed) != 1 {
		t.Fatalf("relay prepared %d times", len(relayed))
	}
	h.wantOnlyRecordedFiles(s.id)
}

func TestConcurrentUploads(t *testing.T) {
	h := newHarness(t)
	s := h.smallAt(api.StateJoined)
	recs := s.a.blindedRecords(t)
	same := wiretest.Parts(t, s.id, wire.KindBlinded, s.a.attrs, recs, 20)[0]
	var variants [][]byte
	for i := range 6 {
		r := slices.Clone(recs[:30])
		r[0], r[i+1] = r[i+1], r[0]
		variants = append(variants, wiretest.Parts(t, s.id, wire.KindBlinded, s.b.attrs, r, 20)[0])
	}
	var wg sync.WaitGroup
	receipts := make([]api.PartReceipt, 6)
	sameErrs := make([]error, 6)
	otherErrs := make([]error, 6)
	for i := range 6 {
		wg.Go(func() {
			receipts[i], sameErrs[i] = h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(same))
		})
		wg.Go(func() {
			_, otherErrs[i] = h.svc.PutBlinded(context.Background(), partner, s.id, bytes.NewReader(variants[i]))
		})
	}
	wg.Wait()
	for i := range 6 {
		if sameErrs[i] != nil || receipts[i].Digest != receipts[0].Digest {
			t.Fatalf("identical upload %d: %+v %v", i, receipts[i], sameErrs[i])
		}
	}
	won := 0
	for _, err := range otherErrs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrConflict):
			t.Fatalf("conflicting upload: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of the conflicting uploads were accepted", won)
	}
	h.wantOnlyRecordedFiles(s.id)
}
