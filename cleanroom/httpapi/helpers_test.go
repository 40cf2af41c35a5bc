package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

const (
	testIssuer   = "https://cleanroom.test"
	testAudience = "blindjoin-test"
)

// fakeParties is an in-memory registry.
type fakeParties struct {
	mu      sync.Mutex
	byKey   map[string]session.Principal
	revoked map[string]bool
	err     error // returned by Active when set (a broken store)
}

func (f *fakeParties) Authenticate(_ context.Context, key string) (session.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.byKey[key]
	if !ok || f.revoked[p.Party] {
		return session.Principal{}, &auth.Error{Reason: auth.ReasonAPIKey}
	}
	return p, nil
}

func (f *fakeParties) Active(_ context.Context, party string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	for _, p := range f.byKey {
		if p.Party == party {
			return !f.revoked[party], nil
		}
	}
	return false, nil
}

func (f *fakeParties) revoke(party string) {
	f.mu.Lock()
	f.revoked[party] = true
	f.mu.Unlock()
}

// fakeSessions answers every call with canned values, or with err when it
// is set; uploads go to put and downloads come from download.
type fakeSessions struct {
	mu       sync.Mutex
	err      error
	calls    []string
	put      func(io.Reader) (api.PartReceipt, error)
	download func(n int) (session.Download, error)
	// transcript is what Transcript returns, whatever the id.
	transcript transcript.Transcript
	panicky    bool
}

func (f *fakeSessions) record(name string, p session.Principal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.panicky {
		panic("fake session service exploded")
	}
	f.calls = append(f.calls, name+" "+p.Party)
	return f.err
}

func (f *fakeSessions) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// cannedSession is a session that satisfies the API schema.
func cannedSession(id string) api.Session {
	pol := policy.Default()
	t := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return api.Session{
		ID: id, State: api.StateCreated, Advertiser: "acme", Partner: "news", MatchKey: api.MatchKeyEmail, MatchKeys: []string{api.MatchKeyEmail},
		Policy: pol.Canonical(), PolicyHash: pol.Hash(), Segments: []string{"sport"}, Auditors: []string{},
		CreatedAt: t, UpdatedAt: t,
	}
}

func (f *fakeSessions) List(_ context.Context, p session.Principal) ([]api.Session, error) {
	if err := f.record("List", p); err != nil {
		return nil, err
	}
	return []api.Session{cannedSession("s1")}, nil
}

func (f *fakeSessions) Create(_ context.Context, p session.Principal, req api.CreateSessionRequest) (api.Session, error) {
	if err := f.record("Create", p); err != nil {
		return api.Session{}, err
	}
	return cannedSession("s-new"), nil
}

func (f *fakeSessions) Get(_ context.Context, p session.Principal, id string) (api.Session, error) {
	if err := f.record("Get", p); err != nil {
		return api.Session{}, err
	}
	return cannedSession(id), nil
}

func (f *fakeSessions) Join(_ context.Context, p session.Principal, id string, req api.JoinRequest) (api.Session, error) {
	if err := f.record("Join", p); err != nil {
		return api.Session{}, err
	}
	s := cannedSession(id)
	s.State = api.StateJoined
	return s, nil
}

func (f *fakeSessions) PutBlinded(_ context.Context, p session.Principal, id string, body io.Reader) (api.PartReceipt, error) {
	if err := f.record("PutBlinded", p); err != nil {
		return api.PartReceipt{}, err
	}
	return f.put(body)
}

func (f *fakeSessions) PutReblinded(_ context.Context, p session.Principal, id string, body io.Reader) (api.PartReceipt, error) {
	if err := f.record("PutReblinded", p); err != nil {
		return api.PartReceipt{}, err
	}
	return f.put(body)
}

func (f *fakeSessions) Counterpart(_ context.Context, p session.Principal, id string, n int) (session.Download, error) {
	if err := f.record("Counterpart", p); err != nil {
		return session.Download{}, err
	}
	return f.download(n)
}

func (f *fakeSessions) Results(_ context.Context, p session.Principal, id string) (session.ResultsFile, error) {
	if err := f.record("Results", p); err != nil {
		return session.ResultsFile{}, err
	}
	overlap := int64(120)
	rate := "12%"
	b, err := json.Marshal(api.Results{
		SessionID: id, Role: p.Role, Overlap: &overlap,
		MatchRate:  api.MatchRates{Advertiser: &rate, MediaPartner: nil},
		Segments:   map[string]*int64{"sport": &overlap, "news": nil},
		ComputedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
	})
	return session.ResultsFile{Size: int64(len(b)), Body: io.NopCloser(bytes.NewReader(b))}, err
}

func (f *fakeSessions) Transcript(_ context.Context, p session.Principal, id string) (transcript.Transcript, error) {
	if err := f.record("Transcript", p); err != nil {
		return transcript.Transcript{}, err
	}
	return f.transcript, nil
}

func (f *fakeSessions) Delete(_ context.Context, p session.Principal, id string) (api.Session, error) {
	if err := f.record("Delete", p); err != nil {
		return api.Session{}, err
	}
	s := cannedSession(id)
	s.State = api.StatePurged
	return s, nil
}

// receiptReader drains a part body and acknowledges it.
func receiptReader(body io.Reader) (api.PartReceipt, error) {
	n, err := io.Copy(io.Discard, body)
	if err != nil {
		return api.PartReceipt{}, err
	}
	return api.PartReceipt{Part: 0, Records: uint64(n), Digest: strings.Repeat("ab", 32), Final: true, Complete: true, State: api.StateUploading}, nil
}

// env is a handler over fakes, with a real token authority.
type env struct {
	t        *testing.T
	h        http.Handler
	metrics  http.Handler
	clock    *testkit.Clock
	parties  *fakeParties
	sessions *fakeSessions
	keyring  *auth.Keyring
	tokens   *auth.Authority
	logs     *testkit.SyncBuffer
	ready    error
	keys     map[string]string  // party -> API key
	registry *registry.Registry // real env only
	dataDir  string             // real env only: the service's (and its blob store's) directory
	store    store.Store        // real env only
}

type envOption func(*Config)

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := newBareEnv(t)
	e.parties = &fakeParties{byKey: map[string]session.Principal{}, revoked: map[string]bool{}}
	e.sessions = &fakeSessions{
		put: receiptReader,
		download: func(n int) (session.Download, error) {
			body := []byte("part-bytes")
			return session.Download{Parts: 3, Size: int64(len(body)), Body: io.NopCloser(bytes.NewReader(body))}, nil
		},
		transcript: cannedTranscript(t, "s1"),
	}
	for _, p := range []session.Principal{
		{Party: "acme", Role: api.RoleAdvertiser},
		{Party: "news", Role: api.RoleMediaPartner},
		{Party: "audit", Role: api.RoleAuditor},
	} {
		key, err := auth.GenerateAPIKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		e.parties.byKey[key.Reveal()] = p
		e.keys[p.Party] = key.Reveal()
	}
	e.start(Config{
		Sessions: e.sessions,
		Parties:  e.parties,
		Ready:    func(context.Context) error { return e.ready },
		StateCounts: func(context.Context) (map[api.State]int, error) {
			return map[api.State]int{api.StateCreated: 2, api.StateComputed: 1}, nil
		},
		Elements: func() uint64 { return 4242 },
	}, opts)
	return e
}

// newBareEnv makes the clock, log buffer and token authority every env
// shares; the caller adds parties and sessions, then calls start.
func newBareEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		t:     t,
		clock: testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)),
		logs:  &testkit.SyncBuffer{},
		keys:  map[string]string{},
	}
	var err error
	if e.keyring, err = auth.OpenKeyring(t.TempDir(), e.clock.Now, rand.Reader); err != nil {
		t.Fatal(err)
	}
	if e.tokens, err = auth.NewAuthority(e.keyring, testIssuer, testAudience, 10*time.Minute, e.clock.Now, rand.Reader); err != nil {
		t.Fatal(err)
	}
	return e
}

// start builds the handler from cfg completed with the env's authority,
// logger and clock.
func (e *env) start(cfg Config, opts []envOption) {
	e.t.Helper()
	cfg.Tokens = e.tokens
	cfg.Keys = e.keyring
	cfg.Logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Now = e.clock.Now
	for _, o := range opts {
		o(&cfg)
	}
	var err error
	if e.h, e.metrics, err = NewHandler(cfg); err != nil {
		e.t.Fatal(err)
	}
}

// token returns a fresh access token of party, obtained through the API.
func (e *env) token(party string) string {
	e.t.Helper()
	body, _ := json.Marshal(api.TokenRequest{APIKey: e.keys[party]})
	res := e.do(request(http.MethodPost, "/v1/auth/token", "application/json", bytes.NewReader(body)))
	if res.Code != http.StatusOK {
		e.t.Fatalf("token for %s: %d %s", party, res.Code, res.Body)
	}
	var tr api.TokenResponse
	if err := json.Unmarshal(res.Body.Bytes(), &tr); err != nil {
		e.t.Fatal(err)
	}
	return tr.AccessToken
}

func request(method, target, contentType string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

// as sends r with party's access token.
func (e *env) as(party string, r *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	r.Header.Set("Authorization", "Bearer "+e.token(party))
	return e.do(r)
}

// scrape serves GET /metrics on the metrics handler.
func (e *env) scrape() *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec
}

// do serves r and checks what every response must satisfy: a request id,
// the error body shape on errors, and the OpenAPI description.
func (e *env) do(r *http.Request) *httptest.ResponseRecorder {
	e.t.Helper()
	reqCopy := r.Clone(r.Context())
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, r)
	if rec.Header().Get(RequestIDHeader) == "" {
		e.t.Errorf("%s %s: no %s in the response", r.Method, r.URL, RequestIDHeader)
	}
	if rec.Code >= 400 {
		checkErrorBody(e.t, rec)
	}
	checkSpec(e.t, reqCopy, rec)
	return rec
}

// checkErrorBody decodes an error response strictly: exactly the
// api.ErrorBody shape, a known code, a message.
func checkErrorBody(t *testing.T, rec *httptest.ResponseRecorder) api.ErrorDetail {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error response with Content-Type %q", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	var body api.ErrorBody
	if err := dec.Decode(&body); err != nil {
		t.Errorf("error body %q: %v", rec.Body, err)
		return api.ErrorDetail{}
	}
	if !knownCodes[body.Error.Code] || body.Error.Message == "" {
		t.Errorf("error body %q: unknown code or empty message", rec.Body)
	}
	if want := codeStatus[body.Error.Code]; want != 0 && want != rec.Code {
		t.Errorf("code %s with status %d, want %d", body.Error.Code, rec.Code, want)
	}
	return body.Error
}

// codeStatus is the status each code goes with, written out independently
// of errors.go.
var codeStatus = map[string]int{
	api.CodeBadRequest: 400, api.CodeInvalidPart: 400, api.CodeInvalidElement: 400,
	api.CodeUnauthenticated: 401, api.CodeForbidden: 403, api.CodeNotFound: 404,
	api.CodeWrongState: 409, api.CodeConflict: 409, api.CodeTooLarge: 413,
	api.CodePolicyViolation: 422, api.CodeTooFewRows: 422, api.CodeDuplicate: 422, api.CodeBudgetExhausted: 422,
	api.CodeRateLimited: 429, api.CodeInternal: 500, api.CodeUnavailable: 503,
}

var knownCodes = func() map[string]bool {
	m := map[string]bool{}
	for c := range codeStatus {
		m[c] = true
	}
	return m
}()

// errStoreDown stands for an internal failure whose text must never reach
// a client.
var errStoreDown = errors.New("sqlitestore: disk I/O error at /var/lib/blindjoin/db")
