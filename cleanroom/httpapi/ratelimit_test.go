package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/ratelimit"
	"github.com/blindjoin/blindjoin/protocol/api"
)

func TestRateLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Limits = Limits{
			Create: ratelimit.Limit{Rate: 0.1, Burst: 2}, // a token every 10 s
			Parts:  ratelimit.Limit{Rate: 1, Burst: 3},
		}
	})
	acme := e.token("acme")
	news := e.token("news")
	send := func(token, method, path, ct, body string) int {
		req := request(method, path, ct, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		rec := e.do(req)
		if rec.Code == http.StatusTooManyRequests {
			if d := checkErrorBody(t, rec); d.Code != api.CodeRateLimited {
				t.Errorf("429 with code %q", d.Code)
			}
			if ra := rec.Header().Get("Retry-After"); ra != "10" && ra != "1" {
				t.Errorf("Retry-After %q", ra)
			}
		}
		return rec.Code
	}
	create := func(token string) int {
		return send(token, http.MethodPost, "/v1/sessions", "application/json", `{"partner":"news","match_key":"email"}`)
	}
	upload := func(token string) int {
		return send(token, http.MethodPut, "/v1/sessions/s1/blinded", api.PartContentType, "part")
	}
	download := func(token string) int {
		return send(token, http.MethodGet, "/v1/sessions/s1/counterpart", "", "")
	}

	if a, b, c := create(acme), create(acme), create(acme); a != 201 || b != 201 || c != 429 {
		t.Fatalf("three creations: %d %d %d, want 201 201 429", a, b, c)
	}
	// Other buckets and other parties are unaffected.
	if code := upload(acme); code != 200 {
		t.Fatalf("upload after the creation limit: %d", code)
	}
	if code := create(news); code != 201 {
		t.Fatalf("another party's creation: %d", code)
	}
	// Uploads and downloads share the parts bucket (3, one used above).
	if a, b, c := download(acme), upload(acme), download(acme); a != 200 || b != 200 || c != 429 {
		t.Fatalf("parts: %d %d %d, want 200 200 429", a, b, c)
	}
	// Reads are never limited.
	for range 10 {
		if code := send(acme, http.MethodGet, "/v1/sessions/s1", "", ""); code != 200 {
			t.Fatalf("GET session: %d", code)
		}
	}
	e.clock.Advance(10 * time.Second)
	if code := create(acme); code != 201 {
		t.Fatalf("creation after the refill: %d", code)
	}
}

func TestDefaultLimitsAreValid(t *testing.T) {
	for name, l := range map[string]ratelimit.Limit{"create": DefaultLimits.Create, "parts": DefaultLimits.Parts} {
		if err := l.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := NewHandler(Config{}); err == nil {
		t.Error("NewHandler accepted a config without dependencies")
	}
}
