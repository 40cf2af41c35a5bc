package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// logLines decodes the JSON log output.
func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestRequestIDIsAlwaysOurOwn(t *testing.T) {
	e := newEnv(t)
	get := func(id string) string {
		req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		if id != "" {
			req.Header.Set(RequestIDHeader, id)
		}
		return e.do(req).Header().Get(RequestIDHeader)
	}
	// Even well-formed ids are not adopted: a MAID or a hashed email has the
	// form of a trace id, and the request id is logged.
	for _, sent := range []string{
		"trace-1", "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
		"b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514", e.keys["acme"],
	} {
		if got := get(sent); got == sent || got == "" {
			t.Errorf("sent %.12q..., answered %q: want a fresh id", sent, got)
		}
	}
	if a, b := get(""), get(""); a == b {
		t.Error("two requests got the same generated id")
	}
}

// TestLogsHoldNoSecrets runs a full set of requests carrying real API keys
// and tokens (in headers, bodies and a misused request id) and then
// searches the log output for them.
func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t)
	var secrets []string
	for party, key := range e.keys {
		secrets = append(secrets, key, key[len(key)-20:])
		tok := e.token(party)
		sig := tok[strings.LastIndex(tok, ".")+1:]
		secrets = append(secrets, tok, sig)
		for _, r := range protectedRoutes {
			req := request(r.method, r.path, r.contentType, strings.NewReader(r.body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set(RequestIDHeader, key)
			e.do(req)
			bad := request(r.method, r.path, r.contentType, strings.NewReader(r.body))
			bad.Header.Set("Authorization", "Bearer "+tok+"x")
			e.do(bad)
		}
		e.do(request(http.MethodPost, "/v1/auth/token", "application/json", strings.NewReader(`{"api_key":"`+key+`x"}`)))
		e.do(request(http.MethodPost, "/v1/auth/token", "application/json", strings.NewReader(`{"api_key":"`+key+`", "x":1}`)))
	}
	e.do(httptest.NewRequest(http.MethodGet, "/v1/no/such/route/user@example.com", nil))

	out := e.logs.String()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Fatalf("the log holds a secret (%d chars)", len(s))
		}
	}
	for _, s := range []string{"user@example.com", "bjk_"} {
		if strings.Contains(out, s) {
			t.Errorf("the log holds %q", s)
		}
	}
	lines := logLines(t, out)
	if len(lines) < 3*2*len(protectedRoutes) {
		t.Fatalf("%d log lines", len(lines))
	}
	for _, l := range lines {
		if l["msg"] != "request" {
			continue
		}
		for _, k := range []string{"request_id", "method", "route", "status", "duration_ms"} {
			if _, ok := l[k]; !ok {
				t.Errorf("log line without %s: %v", k, l)
			}
		}
	}
}

func TestAccessLogFields(t *testing.T) {
	e := newEnv(t)
	okID := e.as("news", request(http.MethodGet, "/v1/sessions/s-42/results", "", nil)).Header().Get(RequestIDHeader)
	e.sessions.err = errStoreDown
	failedID := e.as("news", request(http.MethodGet, "/v1/sessions/s-43", "", nil)).Header().Get(RequestIDHeader)
	e.do(httptest.NewRequest(http.MethodGet, "/nope/s-44", nil))

	byID := map[string]map[string]any{}
	var unmatched map[string]any
	for _, l := range logLines(t, e.logs.String()) {
		if id, _ := l["request_id"].(string); id != "" {
			byID[id] = l
		}
		if l["route"] == unmatchedRoute {
			unmatched = l
		}
	}
	ok := byID[okID]
	if ok["level"] != "INFO" || ok["method"] != "GET" || ok["route"] != "/v1/sessions/:id/results" ||
		ok["status"] != 200.0 || ok["party"] != "news" || ok["session"] != "s-42" {
		t.Errorf("success line: %v", ok)
	}
	failed := byID[failedID]
	if failed["level"] != "ERROR" || failed["status"] != 500.0 || failed["code"] != api.CodeInternal ||
		!strings.Contains(failed["error"].(string), "disk I/O error") || failed["session"] != nil {
		t.Errorf("failure line: %v", failed)
	}
	if unmatched == nil || strings.Contains(e.logs.String(), "s-44") {
		t.Errorf("unmatched route logged with its path: %v", unmatched)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.as("acme", request(http.MethodGet, "/v1/sessions/s1", "", nil))
	e.do(request(http.MethodGet, "/v1/sessions/s1", "", nil)) // 401
	e.do(httptest.NewRequest(http.MethodGet, "/nope/secret-path", nil))
	rec := e.scrape()
	if rec.Code != http.StatusOK {
		t.Fatalf("%d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`blindjoin_http_requests_total{method="GET",route="/v1/sessions/:id",status="200"} 1`,
		`blindjoin_http_requests_total{method="GET",route="/v1/sessions/:id",status="401"} 1`,
		`blindjoin_http_requests_total{method="POST",route="/v1/auth/token",status="200"} 1`,
		`blindjoin_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`blindjoin_http_request_duration_seconds_bucket{method="GET",route="/v1/sessions/:id",le="600"} 2`,
		`blindjoin_sessions{state="created"} 2`,
		`blindjoin_sessions{state="computed"} 1`,
		`blindjoin_sessions{state="joined"} 0`,
		`blindjoin_elements_processed_total 4242`,
		`blindjoin_auth_failures_total{reason="no bearer token"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "secret-path") {
		t.Error("a raw path became a label")
	}
}

func TestMetricsSurviveAStoreFailure(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.StateCounts = func(ctx context.Context) (map[api.State]int, error) { return nil, errStoreDown }
	})
	rec := e.scrape()
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "blindjoin_elements_processed_total") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "blindjoin_sessions{") {
		t.Error("session gauge reported despite the failure")
	}
	if !strings.Contains(e.logs.String(), "counting sessions") {
		t.Error("the failure was not logged")
	}
}

// TestMetricsAreNotOnTheAPI: the API listener is reachable by every party
// and by anyone on its network; the metrics are not served there.
func TestMetricsAreNotOnTheAPI(t *testing.T) {
	e := newEnv(t)
	rec := e.do(httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "blindjoin_") {
		t.Fatalf("GET /metrics on the API: %d %s", rec.Code, rec.Body)
	}
	for _, path := range []string{"/", "/healthz", "/v1/sessions"} {
		rec := httptest.NewRecorder()
		e.metrics.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s on the metrics handler: %d", path, rec.Code)
		}
	}
}
