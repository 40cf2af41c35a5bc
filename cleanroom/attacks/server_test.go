package attacks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// serverOptions are the "blindjoind serve" settings a test may change;
// zero values keep the binary's defaults.
type serverOptions struct {
	floor    string  // floor policy JSON ("" = built-in defaults)
	dpBudget float64 // --dp-budget
	timeouts httpapi.Timeouts
}

// server is a clean room started by operator.Start on a free loopback port.
type server struct {
	url  string
	dir  string
	stop func() error
}

// startServer runs operator.Start, the code behind "blindjoind serve", in
// a new data directory, logging to serverLog.
func startServer(opts serverOptions) (*server, error) {
	dir, err := os.MkdirTemp("", "blindjoin-attacks-*")
	if err != nil {
		return nil, err
	}
	cfg := operator.Config{
		DataDir:  filepath.Join(dir, "data"),
		Addr:     "127.0.0.1:0",
		DPBudget: opts.dpBudget,
		Timeouts: opts.timeouts,
		Logger:   slog.New(slog.NewJSONHandler(serverLog, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if opts.floor != "" {
		cfg.FloorFile = filepath.Join(dir, "floor.json")
		if err := os.WriteFile(cfg.FloorFile, []byte(opts.floor), 0o600); err != nil {
			return nil, err
		}
	}
	room, err := operator.Start(context.Background(), cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &server{url: room.URL, dir: cfg.DataDir, stop: func() error {
		return errors.Join(room.Stop(), os.RemoveAll(dir))
	}}, nil
}

// newServer starts a server of the test's own, stopped at cleanup.
func newServer(t *testing.T, opts serverOptions) *server {
	t.Helper()
	s, err := startServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// httpClient is every test's client: no redirects, generous timeouts (the
// server's own timeouts are what some tests exercise).
var httpClient = &http.Client{
	Timeout:       2 * time.Minute,
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// reply is a response read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// requestsSent counts the requests send made, for TestMain's check that
// the log it scans is the real thing.
var requestsSent atomic.Int64

func (s *server) send(t testing.TB, req *http.Request) reply {
	t.Helper()
	requestsSent.Add(1)
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", req.Method, req.URL.Path, err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: body}
}

// request builds a request to the server; path is taken verbatim (it may
// hold escapes an attack needs).
func (s *server) request(t testing.TB, method, path, contentType string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// errorDetail decodes an error body strictly: exactly the documented shape.
func errorDetail(t testing.TB, r reply) api.ErrorDetail {
	t.Helper()
	var body api.ErrorBody
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Error.Code == "" {
		t.Fatalf("status %d: not an error body: %q", r.status, r.body)
	}
	return body.Error
}

// expectError checks a refusal: its status and its stable error code.
func expectError(t testing.TB, what string, r reply, status int, code string) api.ErrorDetail {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d %s, want %d %s", what, r.status, r.body, status, code)
	}
	d := errorDetail(t, r)
	if d.Code != code {
		t.Fatalf("%s: code %q (%s), want %q", what, d.Code, d.Message, code)
	}
	return d
}

// party is a registered party with a fresh access token.
type party struct {
	srv    *server
	name   string
	role   api.Role
	apiKey string
	token  string
}

var partySeq atomic.Int64

// register adds a party of role with a new unique name, the way the
// operator does ("blindjoind party add --json"), and logs it in.
func (s *server) register(t testing.TB, role api.Role) *party {
	t.Helper()
	tag := map[api.Role]string{api.RoleAdvertiser: "adv", api.RoleMediaPartner: "pub", api.RoleAuditor: "aud"}[role]
	name := fmt.Sprintf("%s-%d", tag, partySeq.Add(1))
	apiKey, err := operator.AddParty(context.Background(), s.dir, name, role)
	if err != nil {
		t.Fatal(err)
	}
	secrets.add("API key", apiKey)
	p := &party{srv: s, name: name, role: role, apiKey: apiKey}
	p.token = p.login(t)
	return p
}

// login exchanges the party's API key for an access token.
func (p *party) login(t testing.TB) string {
	t.Helper()
	body, _ := json.Marshal(api.TokenRequest{APIKey: p.apiKey})
	r := p.srv.send(t, p.srv.request(t, http.MethodPost, "/v1/auth/token", "application/json", bytes.NewReader(body)))
	if r.status != http.StatusOK {
		t.Fatalf("token for %s: %d %s", p.name, r.status, r.body)
	}
	var tr api.TokenResponse
	if err := json.Unmarshal(r.body, &tr); err != nil {
		t.Fatal(err)
	}
	recordToken(tr.AccessToken)
	return tr.AccessToken
}

// recordToken records a JWT and its signature as secrets.
func recordToken(tok string) {
	secrets.add("access token", tok)
	if i := strings.LastIndexByte(tok, '.'); i >= 0 && len(tok)-i > secretPrefix {
		secrets.add("access token signature", tok[i+1:])
	}
}

// do sends a request with the party's token.
func (p *party) do(t testing.TB, method, path, contentType string, body io.Reader) reply {
	t.Helper()
	req := p.srv.request(t, method, path, contentType, body)
	req.Header.Set("Authorization", "Bearer "+p.token)
	return p.srv.send(t, req)
}

// call sends in as JSON (nil: no body) and returns the reply.
func (p *party) call(t testing.TB, method, path string, in any) reply {
	t.Helper()
	if in == nil {
		return p.do(t, method, path, "", nil)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return p.do(t, method, path, "application/json", bytes.NewReader(b))
}

// expect sends in as JSON, requires status and decodes the answer into out.
func (p *party) expect(t testing.TB, method, path string, in any, status int, out any) {
	t.Helper()
	r := p.call(t, method, path, in)
	if r.status != status {
		t.Fatalf("%s %s %s: %d %s, want %d", p.name, method, path, r.status, r.body, status)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// createSession lets adv propose a session to partner (req's partner and match
// key default to partner and email) and partner join it.
func createSession(t testing.TB, adv, partner *party, req api.CreateSessionRequest) api.Session {
	t.Helper()
	if req.Partner == "" {
		req.Partner = partner.name
	}
	if req.MatchKey == "" {
		req.MatchKey = api.MatchKeyEmail
	}
	var s api.Session
	adv.expect(t, http.MethodPost, "/v1/sessions", req, http.StatusCreated, &s)
	partner.expect(t, http.MethodPost, "/v1/sessions/"+s.ID+"/join", api.JoinRequest{PolicyHash: s.PolicyHash}, http.StatusOK, &s)
	return s
}

// getSession reads a session as p.
func getSession(t testing.TB, p *party, id string) api.Session {
	t.Helper()
	var s api.Session
	p.expect(t, http.MethodGet, "/v1/sessions/"+id, nil, http.StatusOK, &s)
	return s
}

// results reads p's results, waiting as a party's client does while the
// join job has not run yet (503 with Retry-After).
func results(t testing.TB, p *party, id string) api.Results {
	t.Helper()
	path := "/v1/sessions/" + id + "/results"
	deadline := time.Now().Add(joinWait)
	r := p.call(t, http.MethodGet, path, nil)
	for r.status == http.StatusServiceUnavailable && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		r = p.call(t, http.MethodGet, path, nil)
	}
	if r.status != http.StatusOK {
		t.Fatalf("%s GET %s: %d %s, want 200", p.name, path, r.status, r.body)
	}
	var res api.Results
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return res
}

// joinWait bounds how long a party waits for a relay or join job: seconds on this
// machine, minutes under -race on a loaded one.
const joinWait = 2 * time.Minute

// awaitCounterpart polls p's view of the session until the clean room's
// relay job has prepared the counterpart set for p, as the party tool
// waits before downloading it.
func awaitCounterpart(t testing.TB, p *party, id string) {
	t.Helper()
	deadline := time.Now().Add(joinWait)
	for {
		s := getSession(t, p, id)
		mine := s.Uploads.Advertiser
		if p.role == api.RoleMediaPartner {
			mine = s.Uploads.MediaPartner
		}
		if mine.CounterpartParts > 0 || s.State != api.StateExchanging {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no counterpart set prepared for %s after %v", p.name, joinWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// awaitState polls p's view of the session until it is in state.
func awaitState(t testing.TB, p *party, id string, state api.State) api.Session {
	t.Helper()
	deadline := time.Now().Add(joinWait)
	for {
		s := getSession(t, p, id)
		if s.State == state {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s is %s after %v, want %s", id, s.State, joinWait, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
