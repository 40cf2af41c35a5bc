package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// failing answers the first len(statuses) requests with those statuses
// (and Retry-After when given), then with ok.
func failing(statuses []int, retryAfter string, ok http.HandlerFunc) (http.HandlerFunc, *atomic.Int32) {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeError(w, statuses[i], "some_code", "failure "+http.StatusText(statuses[i]))
			return
		}
		ok(w, r)
	}, &n
}

func TestRetryAfterHonoured(t *testing.T) {
	s := newTestServer(t)
	h, n := failing([]int{http.StatusTooManyRequests}, "7", sessionHandler)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(h))
	c, clk := newTestClient(t, s, nil)
	if _, err := c.Session(context.Background(), "s1"); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 || !slices.Equal(clk.Sleeps(), []time.Duration{7 * time.Second}) {
		t.Fatalf("requests %d, sleeps %v; want 2 and [7s]", n.Load(), clk.Sleeps())
	}
}

func TestBackoffOn5xxIsBoundedAndGrows(t *testing.T) {
	s := newTestServer(t)
	h, n := failing([]int{503, 502, 500, 504, 503}, "", sessionHandler)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(h))
	c, clk := newTestClient(t, s, nil) // MaxAttempts 4, jitter 0.5
	_, err := c.Session(context.Background(), "s1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 504 {
		t.Fatalf("err = %v, want the last failure (504)", err)
	}
	if n.Load() != 4 {
		t.Fatalf("requests = %d, want 4", n.Load())
	}
	// Ceilings 500ms, 1s, 2s; the wait is 3/4 of each with jitter 0.5.
	want := []time.Duration{375 * time.Millisecond, 750 * time.Millisecond, 1500 * time.Millisecond}
	if !slices.Equal(clk.Sleeps(), want) {
		t.Fatalf("sleeps = %v, want %v", clk.Sleeps(), want)
	}
}

func TestBackoffCapped(t *testing.T) {
	c := &Client{cfg: Config{BaseBackoff: time.Second, MaxBackoff: 5 * time.Second, Jitter: func() float64 { return 0.999999 }}}
	for attempt := 1; attempt < 100; attempt++ {
		if d := c.backoff(attempt); d > 5*time.Second || d < 500*time.Millisecond {
			t.Fatalf("backoff(%d) = %v", attempt, d)
		}
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	for _, status := range []int{400, 403, 404, 409, 413, 422, 501} {
		s := newTestServer(t)
		h, n := failing([]int{status}, "", sessionHandler)
		s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(h))
		c, clk := newTestClient(t, s, nil)
		_, err := c.Session(context.Background(), "s1")
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != status || n.Load() != 1 || len(clk.Sleeps()) != 0 {
			t.Errorf("status %d: err %v, %d requests, sleeps %v", status, err, n.Load(), clk.Sleeps())
		}
	}
}

func TestRetryAfterBeyondDeadlineGivesUpAtOnce(t *testing.T) {
	s := newTestServer(t)
	h, n := failing([]int{429, 429}, "120", sessionHandler)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(h))
	c, clk := newTestClient(t, s, nil)
	clk.now = time.Now() // the context's deadline runs on the real clock
	ctx, cancel := context.WithDeadline(context.Background(), clk.Now().Add(30*time.Second))
	defer cancel()
	_, err := c.Session(ctx, "s1")
	if !IsCode(err, "some_code") || n.Load() != 1 || len(clk.Sleeps()) != 0 {
		t.Fatalf("err %v, %d requests, sleeps %v: want the 429 at once", err, n.Load(), clk.Sleeps())
	}
	var apiErr *APIError
	errors.As(err, &apiErr)
	if apiErr.RetryAfter != 120*time.Second {
		t.Fatalf("RetryAfter = %v", apiErr.RetryAfter)
	}
}

func TestRetryAfterAboveCapReturned(t *testing.T) {
	s := newTestServer(t)
	h, n := failing([]int{503}, "3600", sessionHandler)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(h))
	c, clk := newTestClient(t, s, nil)
	if _, err := c.Session(context.Background(), "s1"); err == nil || n.Load() != 1 || len(clk.Sleeps()) != 0 {
		t.Fatalf("err %v, %d requests, sleeps %v", err, n.Load(), clk.Sleeps())
	}
}

func TestCreateSessionNotBlindlyRetried(t *testing.T) {
	created := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, api.Session{ID: "new", State: api.StateCreated})
	}
	t.Run("503 is returned", func(t *testing.T) {
		s := newTestServer(t)
		h, n := failing([]int{503}, "", created)
		s.mux.HandleFunc("POST /v1/sessions", s.authed(h))
		c, _ := newTestClient(t, s, nil)
		if _, err := c.CreateSession(context.Background(), api.CreateSessionRequest{Partner: "p"}); !IsCode(err, "some_code") || n.Load() != 1 {
			t.Fatalf("err %v after %d requests; want the 503 after 1", err, n.Load())
		}
	})
	t.Run("429 is retried", func(t *testing.T) {
		s := newTestServer(t)
		h, n := failing([]int{429}, "1", created)
		s.mux.HandleFunc("POST /v1/sessions", s.authed(h))
		c, _ := newTestClient(t, s, nil)
		sess, err := c.CreateSession(context.Background(), api.CreateSessionRequest{Partner: "p"})
		if err != nil || sess.ID != "new" || n.Load() != 2 {
			t.Fatalf("session %+v, err %v, %d requests", sess, err, n.Load())
		}
	})
}

// dropping closes the connection of the first n requests without an
// answer, as a crashing proxy does.
func dropping(n int32, ok http.HandlerFunc) (http.HandlerFunc, *atomic.Int32) {
	var seen atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		ok(w, r)
	}, &seen
}

func TestNetworkErrorRetried(t *testing.T) {
	s := newTestServer(t)
	h, n := dropping(2, sessionHandler)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(h))
	c, clk := newTestClient(t, s, nil)
	if _, err := c.Session(context.Background(), "s1"); err != nil {
		t.Fatal(err)
	}
	// net/http itself resends a GET once when a reused connection turns
	// out closed, so the client may have backed off once or twice.
	if n.Load() != 3 || len(clk.Sleeps()) < 1 {
		t.Fatalf("requests %d, sleeps %v", n.Load(), clk.Sleeps())
	}
}

func TestCreateSessionNotRetriedAfterConnectionLoss(t *testing.T) {
	s := newTestServer(t)
	h, n := dropping(1, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 201, api.Session{ID: "x"}) })
	s.mux.HandleFunc("POST /v1/sessions", s.authed(h))
	c, _ := newTestClient(t, s, nil)
	if _, err := c.CreateSession(context.Background(), api.CreateSessionRequest{}); err == nil || n.Load() != 1 {
		t.Fatalf("err %v after %d requests; the request may have created a session and must not be resent", err, n.Load())
	}
}

func TestDialErrorIsNotConnected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, err := New(Config{BaseURL: "http://" + addr, APIKey: testKey, MaxAttempts: 2,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Session(context.Background(), "s1")
	if err == nil || !notConnected(err) {
		t.Fatalf("err = %v, want a dial error", err)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	s := newTestServer(t)
	h, n := failing([]int{503, 503, 503}, "", sessionHandler)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(h))
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newTestClient(t, s, nil, func(cfg *Config) {
		cfg.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		}
	})
	if _, err := c.Session(ctx, "s1"); err == nil || n.Load() != 1 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"5":                             5 * time.Second,
		" 12 ":                          12 * time.Second,
		"-3":                            0,
		"1.5":                           0,
		"99999999999":                   0,
		"soon":                          0,
		"Sun, 01 Mar 2026 12:00:30 GMT": 30 * time.Second,
		"Sun, 01 Mar 2026 11:00:00 GMT": 0, // in the past
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	for url, want := range map[string]error{
		"":                                ErrBaseURL,
		"cleanroom.example":               ErrBaseURL,
		"ftp://cleanroom.example":         ErrBaseURL,
		"https://u:p@cleanroom.example":   ErrBaseURL,
		"https://cleanroom.example/?a=1":  ErrBaseURL,
		"http://cleanroom.example":        ErrPlainHTTP,
		"http://10.0.0.1:8080":            ErrPlainHTTP,
		"https://cleanroom.example":       nil,
		"https://cleanroom.example/base/": nil,
		"http://localhost:8080":           nil,
		"http://127.0.0.1:8080":           nil,
		"http://[::1]:8080":               nil,
	} {
		if _, err := New(Config{BaseURL: url, APIKey: "k"}); !errors.Is(err, want) {
			t.Errorf("New(%q) err = %v, want %v", url, err, want)
		}
	}
	if _, err := New(Config{BaseURL: "http://cleanroom.example", APIKey: "k", AllowInsecure: true}); err != nil {
		t.Errorf("AllowInsecure: %v", err)
	}
	if _, err := New(Config{BaseURL: "https://cleanroom.example"}); !errors.Is(err, ErrNoAPIKey) {
		t.Errorf("no key: %v", err)
	}
}
