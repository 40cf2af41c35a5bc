package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

const testKey = "bjk_live_SECRET-api-key-0123456789"

// fakeToken is a JWT-shaped token with the claims the client reads.
func fakeToken(party string, role api.Role, serial int) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(map[string]any{"sub": party, "role": role, "jti": serial})
	return enc([]byte(`{"alg":"EdDSA"}`)) + "." + enc(payload) + "." + enc(fmt.Appendf(nil, "SIGNATURE-%d", serial))
}

// testServer is an API server whose routes the tests fill in; it issues
// tokens for testKey and counts what it sees.
type testServer struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux

	mu       sync.Mutex
	tokens   []string // issued, in order
	valid    map[string]bool
	ttl      int
	requests map[string]int // "METHOD path" -> count
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	s := &testServer{t: t, mux: http.NewServeMux(), valid: map[string]bool{}, ttl: 900, requests: map[string]int{}}
	s.mux.HandleFunc("POST /v1/auth/token", func(w http.ResponseWriter, r *http.Request) {
		var req api.TokenRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.APIKey != testKey {
			writeError(w, http.StatusUnauthorized, api.CodeUnauthenticated, "missing, invalid or expired credentials")
			return
		}
		s.mu.Lock()
		tok := fakeToken("acme", api.RoleAdvertiser, len(s.tokens))
		s.tokens = append(s.tokens, tok)
		s.valid[tok] = true
		ttl := s.ttl
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, api.TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: ttl})
	})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests[r.Method+" "+r.URL.Path]++
		s.mu.Unlock()
		s.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// authed wraps h with bearer-token checking.
func (s *testServer) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bytes.CutPrefix([]byte(r.Header.Get("Authorization")), []byte("Bearer "))
		s.mu.Lock()
		valid := ok && s.valid[string(tok)]
		s.mu.Unlock()
		if !valid {
			writeError(w, http.StatusUnauthorized, api.CodeUnauthenticated, "missing, invalid or expired credentials")
			return
		}
		h(w, r)
	}
}

// revokeAll makes every issued token invalid, as a server key rotation does.
func (s *testServer) revokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.valid)
}

func (s *testServer) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[key]
}

func (s *testServer) issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.tokens...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: msg}})
}

// clock is a fake time source; Sleep advances it and records the waits.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// newTestClient returns a client of s with a fake clock, logging into logs.
func newTestClient(t *testing.T, s *testServer, logs *bytes.Buffer, edit ...func(*Config)) (*Client, *clock) {
	t.Helper()
	clk := newClock()
	cfg := Config{
		BaseURL: s.srv.URL, APIKey: testKey,
		Now: clk.Now, Sleep: clk.Sleep, Jitter: func() float64 { return 0.5 },
		MaxAttempts: 4,
	}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
