package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

func sessionHandler(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, api.Session{ID: r.PathValue("id"), State: api.StateJoined})
}

func TestTokenReusedThenRefreshedBeforeExpiry(t *testing.T) {
	s := newTestServer(t)
	s.ttl = 100 // refresh margin: a quarter, 25 s
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(sessionHandler))
	c, clk := newTestClient(t, s, nil)
	ctx := context.Background()
	for range 3 {
		if _, err := c.Session(ctx, "s1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.issued()); n != 1 {
		t.Fatalf("tokens issued = %d, want 1", n)
	}
	clk.Advance(74 * time.Second)
	if _, err := c.Session(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.issued()); n != 1 {
		t.Fatalf("after 74 s: tokens issued = %d, want 1", n)
	}
	clk.Advance(2 * time.Second) // 76 s: past 100 - 25
	if _, err := c.Session(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if n := len(s.issued()); n != 2 {
		t.Fatalf("after 76 s: tokens issued = %d, want 2", n)
	}
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	s := newTestServer(t)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(sessionHandler))
	c, clk := newTestClient(t, s, nil)
	ctx := context.Background()
	if _, err := c.Session(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	s.revokeAll() // e.g. the server rotated its signing keys
	if _, err := c.Session(ctx, "s1"); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n := len(s.issued()); n != 2 {
		t.Fatalf("tokens issued = %d, want 2", n)
	}
	if got := s.count("GET /v1/sessions/s1"); got != 3 {
		t.Fatalf("session requests = %d, want 3 (ok, 401, ok)", got)
	}
	if len(clk.Sleeps()) != 0 {
		t.Fatalf("a 401 refresh must not back off: %v", clk.Sleeps())
	}
}

func TestUnauthorizedTwiceGivesUp(t *testing.T) {
	s := newTestServer(t)
	s.mux.HandleFunc("GET /v1/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusUnauthorized, api.CodeUnauthenticated, "missing, invalid or expired credentials")
	})
	c, _ := newTestClient(t, s, nil)
	_, err := c.Session(context.Background(), "s1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Code != api.CodeUnauthenticated {
		t.Fatalf("err = %v, want a 401 APIError", err)
	}
	if got := s.count("GET /v1/sessions/s1"); got != 2 {
		t.Fatalf("requests = %d, want 2", got)
	}
	if n := len(s.issued()); n != 2 {
		t.Fatalf("tokens issued = %d, want 2", n)
	}
}

func TestWrongAPIKey(t *testing.T) {
	s := newTestServer(t)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(sessionHandler))
	c, _ := newTestClient(t, s, nil, func(cfg *Config) { cfg.APIKey = "bjk_wrong_SECRET" })
	_, err := c.Session(context.Background(), "s1")
	if !IsCode(err, api.CodeUnauthenticated) {
		t.Fatalf("err = %v, want unauthenticated", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error leaks the key: %v", err)
	}
	if got := s.count("GET /v1/sessions/s1"); got != 0 {
		t.Fatalf("the call went out without a token")
	}
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	s := newTestServer(t)
	fail := 0
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(func(w http.ResponseWriter, r *http.Request) {
		fail++
		switch fail {
		case 1:
			writeError(w, http.StatusServiceUnavailable, api.CodeUnavailable, "retry later")
		default:
			writeError(w, http.StatusNotFound, api.CodeNotFound, "not found")
		}
	}))
	var logs bytes.Buffer
	c, _ := newTestClient(t, s, &logs)
	_, err := c.Session(context.Background(), "s1")
	if !IsCode(err, api.CodeNotFound) {
		t.Fatalf("err = %v", err)
	}
	tok := s.issued()[0]
	cfgText := fmt.Sprintf("%v %+v %#v %s", c.cfg, c.cfg, c.cfg, c.cfg.APIKey)
	for name, text := range map[string]string{"error": err.Error(), "logs": logs.String(), "formatted config": cfgText} {
		if strings.Contains(text, testKey) || strings.Contains(text, "SECRET") {
			t.Errorf("%s holds the API key: %s", name, text)
		}
		if strings.Contains(text, tok) || strings.Contains(text, "SIGNATURE") {
			t.Errorf("%s holds the token: %s", name, text)
		}
	}
	if !strings.Contains(logs.String(), "retrying clean room request") {
		t.Errorf("the retry was not logged: %s", logs.String())
	}
}

func TestIdentity(t *testing.T) {
	s := newTestServer(t)
	c, _ := newTestClient(t, s, nil)
	id, err := c.Identity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id != (Identity{Party: "acme", Role: api.RoleAdvertiser}) {
		t.Fatalf("identity = %+v", id)
	}
}

func TestParseIdentityHostile(t *testing.T) {
	for _, tok := range []string{
		"", "opaque-token", "a.b", "a.b.c.d",
		"e30.!!!.c",                        // payload not base64url
		"e30.e30.c",                        // {} : no claims
		"e30." + b64(`{"sub":"x"}`) + ".c", // no role
		"e30." + b64(`{"sub":"","role":"advertiser"}`) + ".c",
		"e30." + b64(`{"sub":"x","role":"admin"}`) + ".c",
		"e30." + b64(`{"sub":1,"role":"advertiser"}`) + ".c",
		"e30." + b64(`[]`) + ".c",
	} {
		if _, err := parseIdentity(tok); !errors.Is(err, ErrNoIdentity) {
			t.Errorf("parseIdentity(%q) err = %v, want ErrNoIdentity", tok, err)
		}
	}
}

func TestTokenResponseValidated(t *testing.T) {
	for name, resp := range map[string]api.TokenResponse{
		"empty token":  {AccessToken: "", TokenType: "Bearer", ExpiresIn: 60},
		"header chars": {AccessToken: "abc\r\nX-Evil: 1", TokenType: "Bearer", ExpiresIn: 60},
		"not bearer":   {AccessToken: "abc", TokenType: "MAC", ExpiresIn: 60},
		"no lifetime":  {AccessToken: "abc", TokenType: "Bearer", ExpiresIn: 0},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, resp) }))
			defer srv.Close()
			c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, Sleep: func(context.Context, time.Duration) error {
				t.Error("retried an unusable token response")
				return nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Session(context.Background(), "s1"); !errors.Is(err, ErrResponse) {
				t.Fatalf("err = %v, want ErrResponse", err)
			}
		})
	}
}
