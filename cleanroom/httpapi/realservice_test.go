package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/jobs"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/cleanroom/store/sqlitestore"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// newRealEnv serves the real session service and party registry on a
// SQLite store in a temporary directory. The floor is loose enough for
// small sets; sessions ask for min_rows 20 and k 5.
func newRealEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := newBareEnv(t)
	dir := t.TempDir()
	st, err := sqlitestore.Open(filepath.Join(dir, "blindjoin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	floor := policy.Default()
	floor.MinRows, floor.K = 10, 5
	svc, err := session.New(session.Config{
		DataDir: dir, Store: st, Floor: floor, RelayPartRecords: 25,
		Now: e.clock.Now, Rand: rand.Reader,
	})
	if err != nil {
		t.Fatal(err)
	}
	runJobs(t, st, svc, e.clock.Now)
	reg, err := registry.New(registry.Config{Store: st, Rand: rand.Reader, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name string
		role api.Role
	}{
		{"acme", api.RoleAdvertiser}, {"news", api.RoleMediaPartner}, {"audit", api.RoleAuditor},
		{"rival", api.RoleAdvertiser}, {"blog", api.RoleMediaPartner}, {"snoop", api.RoleAuditor},
	} {
		if e.keys[p.name], err = reg.Add(context.Background(), p.name, p.role); err != nil {
			t.Fatal(err)
		}
	}
	e.registry, e.dataDir, e.store = reg, dir, st
	e.start(Config{
		Sessions:    svc,
		Parties:     reg,
		Ready:       func(ctx context.Context) error { _, err := svc.StateCounts(ctx); return err },
		StateCounts: svc.StateCounts,
		Elements:    svc.ElementsProcessed,
	}, opts)
	return e
}

// runJobs runs the service's jobs in the background until the test ends,
// as a replica's runner does (polling often instead of being kicked).
func runJobs(t *testing.T, st store.Store, svc *session.Service, now func() time.Time) {
	t.Helper()
	runner, err := jobs.New(jobs.Config{Store: st, Handlers: svc.Handlers(), Now: now, Poll: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { runner.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
}

// awaitComputed polls the session as party (not an auditor: it reads the
// results too) until its join job ran, as a party's client does; results
// must answer 200 or 503 meanwhile.
func (e *env) awaitComputed(party, id string) {
	e.t.Helper()
	var got api.Session
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		e.jsonAs(party, http.MethodGet, "/v1/sessions/"+id, nil, http.StatusOK, &got)
		if got.State == api.StateComputed {
			return
		}
		// 200 if the join ran in between.
		if rec := e.as(party, request(http.MethodGet, "/v1/sessions/"+id+"/results", "", nil)); rec.Code != http.StatusServiceUnavailable && rec.Code != http.StatusOK {
			e.t.Fatalf("results while the join is queued: %d %s, want 503", rec.Code, rec.Body)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("state %s a minute after both re-blinded sets", got.State)
		}
	}
}

// testPolicy is stricter than the real env's floor, with two segments.
const testPolicy = `{"min_rows":20,"k":5}`

// jsonAs sends a JSON body as party and decodes a 2xx answer into out.
func (e *env) jsonAs(party, method, path string, body any, want int, out any) {
	e.t.Helper()
	var r io.Reader
	ct := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r, ct = bytes.NewReader(b), "application/json"
	}
	rec := e.as(party, request(method, path, ct, r))
	if rec.Code != want {
		e.t.Fatalf("%s %s %s: %d %s, want %d", party, method, path, rec.Code, rec.Body, want)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			e.t.Fatal(err)
		}
	}
}

// createJoined creates a session of acme with news and lets news join.
func (e *env) createJoined() api.Session {
	e.t.Helper()
	var s api.Session
	e.jsonAs("acme", http.MethodPost, "/v1/sessions", api.CreateSessionRequest{
		Partner: "news", MatchKey: api.MatchKeyEmail, Policy: json.RawMessage(testPolicy),
		Segments: []string{"sport", "travel"}, Auditors: []string{"audit"},
	}, http.StatusCreated, &s)
	e.jsonAs("news", http.MethodPost, "/v1/sessions/"+s.ID+"/join", api.JoinRequest{PolicyHash: s.PolicyHash}, http.StatusOK, &s)
	return s
}

// side is one party's data for a session: its key and blinded parts.
type side struct {
	party string
	key   *blind.Key
	parts [][]byte
}

// newSide blinds the emails user<from>..user<to-1> for session s, every
// row with every consent and segment fact set, in parts of perPart rows.
func newSide(t *testing.T, party string, s api.Session, from, to, perPart int) *side {
	t.Helper()
	key, err := blind.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var pol policy.Policy
	if err := json.Unmarshal(s.Policy, &pol); err != nil {
		t.Fatal(err)
	}
	segments := 0
	if party == s.Advertiser {
		segments = len(s.Segments)
	}
	attrs, err := pol.Attrs(segments)
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for i := from; i < to; i++ {
		d := sha256.Sum256([]byte(fmt.Sprintf("user%d@example.com", i)))
		recs = append(recs, wiretest.BlindedRecord(key.Blind(&d), wiretest.AllBits(attrs), attrs))
	}
	mrand.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	return &side{party: party, key: key, parts: wiretest.Parts(t, s.ID, wire.KindBlinded, attrs, recs, perPart)}
}

// put uploads one part and returns the receipt.
func (e *env) put(party, id, leg string, part []byte) api.PartReceipt {
	e.t.Helper()
	rec := e.as(party, request(http.MethodPut, "/v1/sessions/"+id+"/"+leg, api.PartContentType, bytes.NewReader(part)))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("%s PUT %s: %d %s", party, leg, rec.Code, rec.Body)
	}
	var r api.PartReceipt
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		e.t.Fatal(err)
	}
	return r
}

// reblindCounterpart downloads every relayed part and answers each with a
// join part, as the party tool does.
func (e *env) reblindCounterpart(sd *side, id string) [][]byte {
	e.t.Helper()
	var relayed [][]byte
	for n, count := 0, 1; n < count; n++ {
		rec := e.as(sd.party, request(http.MethodGet, "/v1/sessions/"+id+"/counterpart?part="+strconv.Itoa(n), "", nil))
		if rec.Code != http.StatusOK {
			e.t.Fatalf("%s counterpart %d: %d %s", sd.party, n, rec.Code, rec.Body)
		}
		var err error
		if count, err = strconv.Atoi(rec.Header().Get(api.PartCountHeader)); err != nil {
			e.t.Fatal(err)
		}
		if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(rec.Body.Len()) {
			e.t.Fatalf("Content-Length %s for %d bytes", got, rec.Body.Len())
		}
		relayed = append(relayed, rec.Body.Bytes())
	}
	return wiretest.Reblind(e.t, sd.key, relayed)
}

// TestRealFlow runs a whole session through the HTTP API against the real
// service; every response is checked against openapi.json on the way.
func TestRealFlow(t *testing.T) {
	e := newRealEnv(t)
	s := e.createJoined()
	acme := newSide(t, "acme", s, 0, 60, 25)
	news := newSide(t, "news", s, 30, 100, 30)
	for _, sd := range []*side{acme, news} {
		for i, part := range sd.parts {
			r := e.put(sd.party, s.ID, "blinded", part)
			if r.Part != uint32(i) || r.Final != (i == len(sd.parts)-1) {
				t.Fatalf("receipt %+v for part %d", r, i)
			}
		}
	}
	// Parts are idempotent: the same part again gives the same receipt.
	if a, b := e.put("acme", s.ID, "blinded", acme.parts[0]), e.put("acme", s.ID, "blinded", acme.parts[0]); a != b {
		t.Fatalf("re-upload: %+v then %+v", a, b)
	}
	for _, sd := range []*side{acme, news} {
		for _, part := range e.reblindCounterpart(sd, s.ID) {
			e.put(sd.party, s.ID, "reblinded", part)
		}
	}
	e.awaitComputed("acme", s.ID)
	var ra, rn api.Results
	e.jsonAs("acme", http.MethodGet, "/v1/sessions/"+s.ID+"/results", nil, http.StatusOK, &ra)
	e.jsonAs("news", http.MethodGet, "/v1/sessions/"+s.ID+"/results", nil, http.StatusOK, &rn)
	if ra.Overlap == nil || *ra.Overlap != 30 || rn.Overlap == nil || *rn.Overlap != 30 {
		t.Fatalf("overlap %v / %v, want 30 (users 30..59)", ra.Overlap, rn.Overlap)
	}
	if rn.Activation == nil || len(rn.Activation.Records) != 30 || ra.Activation != nil {
		t.Fatalf("activation: partner %+v, advertiser %+v", rn.Activation, ra.Activation)
	}
	for _, p := range []string{"acme", "news", "audit"} {
		e.jsonAs(p, http.MethodGet, "/v1/sessions/"+s.ID+"/transcript", nil, http.StatusOK, nil)
	}
	var list api.SessionList
	e.jsonAs("news", http.MethodGet, "/v1/sessions", nil, http.StatusOK, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != s.ID {
		t.Fatalf("list: %+v", list)
	}
	var got api.Session
	e.jsonAs("acme", http.MethodDelete, "/v1/sessions/"+s.ID, nil, http.StatusOK, &got)
	if got.State != api.StatePurged {
		t.Fatalf("state %s after DELETE", got.State)
	}
	rec := e.scrape()
	if !bytes.Contains(rec.Body.Bytes(), []byte(`blindjoin_sessions{state="purged"} 1`)) {
		t.Errorf("metrics do not count the purged session")
	}
}
