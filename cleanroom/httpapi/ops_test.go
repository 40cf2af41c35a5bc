package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	if rec := e.do(httptest.NewRequest(http.MethodGet, "/healthz", nil)); rec.Code != 200 || rec.Body.String() != `{"status":"ok"}` {
		t.Fatalf("healthz: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(httptest.NewRequest(http.MethodGet, "/readyz", nil)); rec.Code != 200 {
		t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
	}
	e.ready = errStoreDown
	rec := e.do(httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if d := checkErrorBody(t, rec); rec.Code != http.StatusServiceUnavailable || d.Code != api.CodeUnavailable {
		t.Fatalf("readyz with a broken store: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "disk") || !strings.Contains(e.logs.String(), "disk I/O error") {
		t.Fatal("the readiness failure must be logged, not shown")
	}
	// Liveness does not depend on the store.
	if rec := e.do(httptest.NewRequest(http.MethodGet, "/healthz", nil)); rec.Code != 200 {
		t.Fatalf("healthz with a broken store: %d", rec.Code)
	}
}

func TestJWKS(t *testing.T) {
	e := newEnv(t)
	rec := e.do(httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if rec.Code != 200 || rec.Body.String() != string(e.keyring.JWKS()) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	before := e.token("acme")
	if _, err := e.keyring.Rotate(); err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []map[string]string }
	rec = e.do(httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("after rotation: %v, %s", err, rec.Body)
	}
	for _, k := range set.Keys {
		if _, ok := k["d"]; ok {
			t.Fatal("JWKS publishes a private key")
		}
	}
	// A token signed before the rotation still works.
	req := request(http.MethodGet, "/v1/sessions", "", nil)
	req.Header.Set("Authorization", "Bearer "+before)
	if rec := e.do(req); rec.Code != 200 {
		t.Fatalf("pre-rotation token: %d", rec.Code)
	}
}

func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/"},
		{http.MethodGet, "/v1/sessions/"},  // no redirect to /v1/sessions
		{http.MethodGet, "/v1/Sessions"},   // no case fixing
		{http.MethodPatch, "/v1/sessions"}, // unknown method
		{http.MethodGet, "/v2/sessions"},
	} {
		rec := e.do(httptest.NewRequest(r.method, r.path, nil))
		if d := checkErrorBody(t, rec); rec.Code != http.StatusNotFound || d.Code != api.CodeNotFound {
			t.Errorf("%s %s: %d %s", r.method, r.path, rec.Code, rec.Body)
		}
	}
}

func TestPanicBecomes500(t *testing.T) {
	e := newEnv(t)
	e.sessions.panicky = true
	rec := e.as("acme", request(http.MethodGet, "/v1/sessions", "", nil))
	if d := checkErrorBody(t, rec); rec.Code != 500 || d.Code != api.CodeInternal || strings.Contains(rec.Body.String(), "exploded") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "fake session service exploded") || !strings.Contains(logs, `"status":500`) {
		t.Fatalf("panic not logged:\n%s", logs)
	}
	e.sessions.panicky = false
	if rec := e.as("acme", request(http.MethodGet, "/v1/sessions", "", nil)); rec.Code != 200 {
		t.Fatalf("after a panic: %d", rec.Code)
	}
}

func TestNewServer(t *testing.T) {
	s := NewServer("127.0.0.1:0", http.NotFoundHandler(), Timeouts{Read: time.Hour}, nil)
	if s.ReadTimeout != time.Hour || s.ReadHeaderTimeout != DefaultTimeouts.ReadHeader ||
		s.WriteTimeout != DefaultTimeouts.Write || s.IdleTimeout != DefaultTimeouts.Idle ||
		s.MaxHeaderBytes != MaxHeaderBytes || s.ErrorLog == nil {
		t.Fatalf("%+v", s)
	}
	// 64 MiB within the read timeout needs at least this rate.
	if bps := float64(64<<20*8) / DefaultTimeouts.Read.Seconds(); bps > 1e6 {
		t.Fatalf("the default read timeout needs %.0f bit/s for a full part", bps)
	}
}

// TestDraining: a replica that is shutting down answers /readyz and new
// part uploads with 503 and Retry-After (the load balancer moves the
// parties to another replica, whose retries succeed), records nothing of
// a refused upload, and still answers everything else.
func TestDraining(t *testing.T) {
	var draining atomic.Bool
	e := newRealEnv(t, func(c *Config) { c.Draining = draining.Load })
	s := e.createJoined()
	acme := newSide(t, "acme", s, 0, 40, 40)
	draining.Store(true)
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/readyz", nil),
		request(http.MethodPut, "/v1/sessions/"+s.ID+"/blinded", api.PartContentType, bytes.NewReader(acme.parts[0])),
		request(http.MethodPut, "/v1/sessions/"+s.ID+"/reblinded", api.PartContentType, bytes.NewReader(acme.parts[0])),
	} {
		rec := e.as("acme", r)
		if d := checkErrorBody(t, rec); rec.Code != http.StatusServiceUnavailable || d.Code != api.CodeUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s %s while draining: %d %s, Retry-After %q; want 503 unavailable with Retry-After",
				r.Method, r.URL.Path, rec.Code, rec.Body, rec.Header().Get("Retry-After"))
		}
	}
	var got api.Session
	e.jsonAs("acme", http.MethodGet, "/v1/sessions/"+s.ID, nil, http.StatusOK, &got)
	if got.Uploads.Advertiser.BlindedParts != 0 {
		t.Fatalf("a refused upload was recorded: %+v", got.Uploads.Advertiser)
	}
	draining.Store(false)
	if r := e.put("acme", s.ID, "blinded", acme.parts[0]); r.Records != 40 {
		t.Fatalf("the retry after the drain: %+v", r)
	}
}
