package flow

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// testParallel is the parts in flight the tests ask for: more than the
// cores of the test machine, as a party may ask.
const testParallel = 4

// smallParts is the part size of both parties and of the relay in these
// tests: 10 parts or more each way.
const smallParts = 100

// inParts returns a party's options sending parts of smallParts records,
// k at once, in a room that relays in parts of smallParts.
func (e *env) inParts(t *testing.T, role api.Role, k int) Options {
	o := e.options(t, role)
	o.PartRecords, o.Parallel = smallParts, k
	return o
}

// partOf is the part index of an uploaded part's body.
func partOf(body []byte) (uint32, bool) {
	rd, err := wire.NewReader(bytes.NewReader(body))
	if err != nil {
		return 0, false
	}
	return rd.Header().Part, true
}

// mine reports whether an exchange is role's.
func mine(x roomtest.Exchange, role api.Role) bool {
	return x.Header.Get("User-Agent") == agentOf[role]
}

// acceptedParts is the set of parts of route the clean room accepted from
// role among exchanges.
func acceptedParts(exchanges []roomtest.Exchange, role api.Role) map[uint32]bool {
	out := map[uint32]bool{}
	for _, x := range exchanges {
		if part, ok := partOf(x.Body); ok && mine(x, role) && x.Status == http.StatusOK {
			out[part] = true
		}
	}
	return out
}

// TestParallelGivesTheSequentialResults: one part at a time and four at
// once give the same results, which are the truth, with 10 parts or more
// each way.
func TestParallelGivesTheSequentialResults(t *testing.T) {
	type outcome struct {
		overlap    int64
		segments   map[string]int64
		activation []byte
	}
	var got []outcome
	for _, k := range []int{1, testParallel} {
		e := newEnv(t, testPolicy, smallParts)
		as, ps := runBoth(t, context.Background(), e.inParts(t, api.RoleAdvertiser, k), e.inParts(t, api.RoleMediaPartner, k))
		want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments)
		if *as.Overlap != want.overlap || *ps.Overlap != want.overlap {
			t.Fatalf("parallel %d: overlap %d / %d, want %d", k, *as.Overlap, *ps.Overlap, want.overlap)
		}
		checkActivation(t, e.partnerDir, want.activation)
		for _, role := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
			for _, route := range []string{"PUT /blinded", "PUT /reblinded"} {
				if n := len(acceptedParts(e.relay.Exchanges(route), role)); n < 10 {
					t.Fatalf("parallel %d: %s sent %d parts to %s, want 10 or more", k, role, n, route)
				}
			}
		}
		activation, err := os.ReadFile(filepath.Join(e.partnerDir, activationFile))
		if err != nil {
			t.Fatal(err)
		}
		segments := map[string]int64{}
		for name, n := range as.Segments {
			segments[name] = *n
		}
		got = append(got, outcome{*as.Overlap, segments, activation})
	}
	if got[0].overlap != got[1].overlap || !maps.Equal(got[0].segments, got[1].segments) || !bytes.Equal(got[0].activation, got[1].activation) {
		t.Fatalf("parallel 1 and %d differ: %+v / %+v", testParallel, got[0], got[1])
	}
}

// overlap holds one party's requests to a route for the first n parts it
// picks until all n have arrived, so that they are in flight together if
// the party sends them so, and records the most requests of the party's
// to the route that the relay held at once.
type overlap struct {
	mu        sync.Mutex
	arrived   int
	all       chan struct{} // closed when the n picked parts are in
	now, most int
}

func watchOverlap(e *env, route string, role api.Role, n int, pick func(part uint32) bool) *overlap {
	o := &overlap{all: make(chan struct{})}
	e.relay.Before(route, func(x roomtest.Exchange) (roomtest.Fault, bool) {
		part, ok := partOf(x.Body)
		if !mine(x, role) || !ok {
			return roomtest.Fault{}, false
		}
		o.mu.Lock()
		o.now++
		o.most = max(o.most, o.now)
		held := pick(part) && o.arrived < n
		if held {
			if o.arrived++; o.arrived == n {
				close(o.all)
			}
		}
		o.mu.Unlock()
		if held {
			// A party that sends one part at a time never gets here
			// with the next: the wait ends, and most stays 1.
			select {
			case <-o.all:
			case <-time.After(3 * time.Second):
			}
		}
		return roomtest.Fault{}, false
	})
	e.relay.After(route, func(x roomtest.Exchange) {
		if _, ok := partOf(x.Body); ok && mine(x, role) {
			o.mu.Lock()
			o.now--
			o.mu.Unlock()
		}
	})
	return o
}

// TestPartsInFlight: with Parallel 4 each party has 4 parts in flight at
// once, never more, in the upload and in the exchange (where the first
// part goes alone: its download tells the number of parts).
func TestPartsInFlight(t *testing.T) {
	e := newEnv(t, testPolicy, smallParts)
	watched := map[string]*overlap{}
	for _, role := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
		watched[string(role)+" blinded"] = watchOverlap(e, "PUT /blinded", role, testParallel, func(p uint32) bool { return p < testParallel })
		watched[string(role)+" re-blinded"] = watchOverlap(e, "PUT /reblinded", role, testParallel, func(p uint32) bool { return p >= 1 && p <= testParallel })
	}
	as, _ := runBoth(t, context.Background(), e.inParts(t, api.RoleAdvertiser, testParallel), e.inParts(t, api.RoleMediaPartner, testParallel))
	if want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments); *as.Overlap != want.overlap {
		t.Fatalf("overlap %d, want %d", *as.Overlap, want.overlap)
	}
	for name, o := range watched {
		if o.most != testParallel {
			t.Errorf("%s: at most %d parts in flight at once, want %d", name, o.most, testParallel)
		}
	}
}

// gap refuses role's part `refused` of route once the clean room has
// accepted the parts `others`, holding it until then: the clean room ends
// up with a gap below parts it holds, as when a run is killed with
// several parts in flight. It refuses once.
func gap(e *env, route string, role api.Role, refused uint32, others ...uint32) {
	var mu sync.Mutex
	accepted := map[uint32]bool{}
	done := make(chan struct{})
	armed, refusing := true, true
	e.relay.After(route, func(x roomtest.Exchange) {
		part, ok := partOf(x.Body)
		if !ok || !mine(x, role) || x.Status != http.StatusOK {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		accepted[part] = true
		if armed && !slices.ContainsFunc(others, func(p uint32) bool { return !accepted[p] }) {
			armed = false
			close(done)
		}
	})
	e.relay.Before(route, func(x roomtest.Exchange) (roomtest.Fault, bool) {
		part, ok := partOf(x.Body)
		if !ok || !mine(x, role) || part != refused {
			return roomtest.Fault{}, false
		}
		select {
		case <-done:
			// A while longer, as a slow network would: a party that
			// let later parts overtake a missing one would send them.
			time.Sleep(300 * time.Millisecond)
		case <-time.After(3 * time.Second):
		}
		mu.Lock()
		defer mu.Unlock()
		if !refusing {
			return roomtest.Fault{}, false
		}
		refusing = false
		return roomtest.Refuse(http.StatusForbidden, ""), true
	})
}

// checkGap checks that the first run (log: the relay's log of it) left
// role's parts of route with a gap at part 2 between accepted parts 0, 1,
// 3 and 4, and none past the window, and returns the parts it left.
func checkGap(t *testing.T, route string, role api.Role, log []roomtest.Exchange) map[uint32]bool {
	t.Helper()
	held := acceptedParts(log, role)
	if held[2] || !held[0] || !held[1] || !held[3] || !held[4] {
		t.Fatalf("%s: the first run left parts %v, want 0, 1, 3 and 4 without 2", route, slices.Sorted(maps.Keys(held)))
	}
	// Part i starts only once part i-4 is acknowledged: nothing past 5.
	if last := slices.Max(slices.Collect(maps.Keys(held))); last >= 2+testParallel {
		t.Fatalf("%s: the first run sent part %d while part 2 was missing", route, last)
	}
	return held
}

// checkResent checks that the second run (the exchanges after the first
// run's log) sent the missing part 2 and sent again at most
// testParallel-1 of the parts the clean room held.
func checkResent(t *testing.T, e *env, route string, role api.Role, log []roomtest.Exchange, held map[uint32]bool) {
	t.Helper()
	var resent []uint32
	sent2 := false
	for _, x := range e.relay.Exchanges(route)[len(log):] {
		part, ok := partOf(x.Body)
		if !ok || !mine(x, role) {
			continue
		}
		sent2 = sent2 || part == 2 && x.Status == http.StatusOK
		if held[part] {
			resent = append(resent, part)
		}
	}
	if !sent2 {
		t.Errorf("%s: the second run did not send the missing part 2", route)
	}
	if len(resent) > testParallel-1 {
		t.Errorf("%s: the second run sent again the held parts %v, at most %d expected", route, resent, testParallel-1)
	}
}

// tally is a Progress that sums the work reported per phase.
type tally struct {
	mu    sync.Mutex
	phase string
	done  map[string]int64
}

func (p *tally) Start(phase, _ string, _ int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase = phase
}

func (p *tally) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[p.phase] += n
}

func (p *tally) Done() {}

// TestResumeWithGaps: a run with 4 parts in flight stops with a part
// missing below parts the clean room holds (refused, which also stops the
// parts in flight after it, and named in the error); the next run sends
// the missing part, sends again at most 3 of the held ones, and gives the
// truth; its progress counts every record once.
func TestResumeWithGaps(t *testing.T) {
	t.Run("blinded", func(t *testing.T) {
		e := newEnv(t, testPolicy, smallParts)
		// The partner joins up front so that the advertiser may upload.
		if _, err := e.client(t, api.RoleMediaPartner).Join(context.Background(), e.session.ID, e.session.PolicyHash); err != nil {
			t.Fatal(err)
		}
		gap(e, "PUT /blinded", api.RoleAdvertiser, 2, 0, 1, 3, 4)
		_, err := Run(context.Background(), e.inParts(t, api.RoleAdvertiser, testParallel))
		if err == nil || !strings.Contains(err.Error(), "uploading part 3 of") {
			t.Fatalf("first run: %v, want the refusal of part 3 (index 2)", err)
		}
		log := e.relay.Exchanges("PUT /blinded")
		left := checkGap(t, "PUT /blinded", api.RoleAdvertiser, log)
		held := e.state(t).Uploads.Advertiser.BlindedParts

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ao := e.inParts(t, api.RoleAdvertiser, testParallel)
		progress := &tally{done: map[string]int64{}}
		ao.Progress = progress
		as, _ := runBoth(t, ctx, ao, e.inParts(t, api.RoleMediaPartner, testParallel))
		checkResent(t, e, "PUT /blinded", api.RoleAdvertiser, log, left)
		if got := progress.done["upload"]; got != as.Rows.Uploaded {
			t.Errorf("upload progress %d records, want the %d uploaded", got, as.Rows.Uploaded)
		}
		if want := held - (testParallel - 1); as.SkippedParts != want || want < 1 {
			t.Errorf("skipped %d parts of the %d held, want %d", as.SkippedParts, held, want)
		}
		want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments)
		if *as.Overlap != want.overlap {
			t.Errorf("overlap %d, want %d", *as.Overlap, want.overlap)
		}
		checkActivation(t, e.partnerDir, want.activation)
	})
	t.Run("re-blinded", func(t *testing.T) {
		e := newEnv(t, testPolicy, smallParts)
		gap(e, "PUT /reblinded", api.RoleMediaPartner, 2, 0, 1, 3, 4)
		_, _, _, perr := runPair(context.Background(), e.inParts(t, api.RoleAdvertiser, testParallel), e.inParts(t, api.RoleMediaPartner, testParallel))
		if perr == nil || !strings.Contains(perr.Error(), "re-blinded part 2") {
			t.Fatalf("first run: %v, want the refusal of re-blinded part 2", perr)
		}
		log := e.relay.Exchanges("PUT /reblinded")
		left := checkGap(t, "PUT /reblinded", api.RoleMediaPartner, log)

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		po := e.inParts(t, api.RoleMediaPartner, testParallel)
		progress := &tally{done: map[string]int64{}}
		po.Progress = progress
		as, ps := runBoth(t, ctx, e.inParts(t, api.RoleAdvertiser, testParallel), po)
		checkResent(t, e, "PUT /reblinded", api.RoleMediaPartner, log, left)
		// Every record the advertiser uploaded counts and is relayed.
		if got := progress.done["re-blind"]; got != as.Rows.Uploaded {
			t.Errorf("re-blind progress %d records, want the %d relayed", got, as.Rows.Uploaded)
		}
		want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments)
		if *as.Overlap != want.overlap || *ps.Overlap != want.overlap {
			t.Errorf("overlap %d / %d, want %d", *as.Overlap, *ps.Overlap, want.overlap)
		}
		checkActivation(t, e.partnerDir, want.activation)
	})
}

// TestFirstFailureCancelsTheOthers: the clean room refuses part 2 while
// part 1 is still streaming (held by the relay until the test ends); the
// run stops at once with the error of part 2, abandoning part 1.
func TestFirstFailureCancelsTheOthers(t *testing.T) {
	e := newEnv(t, testPolicy, smallParts)
	if _, err := e.client(t, api.RoleMediaPartner).Join(context.Background(), e.session.ID, e.session.PolicyHash); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the relay closes
	e.relay.Before("PUT /blinded", func(x roomtest.Exchange) (roomtest.Fault, bool) {
		switch part, _ := partOf(x.Body); part {
		case 1:
			<-release
		case 2:
			return roomtest.Refuse(http.StatusForbidden, ""), true
		}
		return roomtest.Fault{}, false
	})
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), e.inParts(t, api.RoleAdvertiser, testParallel))
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "uploading part 3 of") || !strings.Contains(err.Error(), "403") {
			t.Fatalf("err = %v, want the refusal of part 3 (index 2)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run waited for part 1 after part 2 failed")
	}
}
