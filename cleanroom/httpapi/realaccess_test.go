package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/ratelimit"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// sessionRoutes lists a request on every session route, for session id.
// Part bodies are genuine parts of the session, so that a refusal cannot
// come from the body.
func sessionRoutes(id string, part []byte) []struct{ method, path, contentType, body string } {
	return []struct{ method, path, contentType, body string }{
		{http.MethodGet, "/v1/sessions/" + id, "", ""},
		{http.MethodDelete, "/v1/sessions/" + id, "", ""},
		{http.MethodPost, "/v1/sessions/" + id + "/join", "application/json", `{"policy_hash":"` + strings.Repeat("0", 64) + `"}`},
		{http.MethodPut, "/v1/sessions/" + id + "/blinded", api.PartContentType, string(part)},
		{http.MethodGet, "/v1/sessions/" + id + "/counterpart", "", ""},
		{http.MethodGet, "/v1/sessions/" + id + "/counterpart?part=1", "", ""},
		{http.MethodPut, "/v1/sessions/" + id + "/reblinded", api.PartContentType, string(part)},
		{http.MethodGet, "/v1/sessions/" + id + "/results", "", ""},
		{http.MethodGet, "/v1/sessions/" + id + "/transcript", "", ""},
	}
}

// TestCrossPartyAccessIsRefused: parties that are not members of a session
// (another advertiser, another partner, an auditor not named) get exactly
// the answer they get for a session that does not exist, on every route
// and in every state of the session.
func TestCrossPartyAccessIsRefused(t *testing.T) {
	e := newRealEnv(t)
	s := e.createJoined()
	acme := newSide(t, "acme", s, 0, 40, 40)
	news := newSide(t, "news", s, 20, 60, 40)
	missing := strings.Repeat("ab", 16) // well formed, never created
	check := func(stage string) {
		t.Helper()
		for _, outsider := range []string{"rival", "blog", "snoop"} {
			tok := e.token(outsider)
			answer := func(id string, i int) (int, string) {
				r := sessionRoutes(id, acme.parts[0])[i]
				req := request(r.method, r.path, r.contentType, strings.NewReader(r.body))
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := e.do(req)
				return rec.Code, rec.Body.String()
			}
			for i, r := range sessionRoutes(s.ID, nil) {
				code, body := answer(s.ID, i)
				wantCode, wantBody := answer(missing, i)
				if code != wantCode || body != wantBody {
					t.Errorf("%s, %s %s: %d %s; for a missing session %d %s", stage, outsider, r.method, code, body, wantCode, wantBody)
				}
				if code != http.StatusNotFound && code != http.StatusForbidden && code != http.StatusBadRequest {
					t.Errorf("%s, %s %s %s: %d", stage, outsider, r.method, r.path, code)
				}
			}
		}
	}
	check("joined")
	e.put("acme", s.ID, "blinded", acme.parts[0])
	e.put("news", s.ID, "blinded", news.parts[0])
	check("blinded sets complete")
	for _, sd := range []*side{acme, news} {
		for _, part := range e.reblindCounterpart(sd, s.ID) {
			e.put(sd.party, s.ID, "reblinded", part)
		}
	}
	e.awaitComputed("acme", s.ID)
	check("computed")

	// The session is untouched: members still see it computed.
	var got api.Session
	e.jsonAs("acme", http.MethodGet, "/v1/sessions/"+s.ID, nil, http.StatusOK, &got)
	if got.State != api.StateComputed {
		t.Fatalf("state %s after the outsiders' attempts", got.State)
	}
}

// TestRealErrorPaths provokes each kind of refusal from the real service;
// e.do checks the body shape and the description of every answer.
func TestRealErrorPaths(t *testing.T) {
	e := newRealEnv(t)
	s := e.createJoined()
	acme := newSide(t, "acme", s, 0, 40, 40)
	garbage := bytes.Repeat([]byte{0x42}, 100)
	cases := []struct {
		name, party, method, path, contentType, body string
		status                                       int
		code                                         string
	}{
		{"unknown partner", "acme", http.MethodPost, "/v1/sessions", "application/json", `{"partner":"nobody","match_key":"email"}`, 400, api.CodeBadRequest},
		{"looser than the floor", "acme", http.MethodPost, "/v1/sessions", "application/json", `{"partner":"news","match_key":"email","policy":{"k":1}}`, 0, ""},
		{"partner creates", "news", http.MethodPost, "/v1/sessions", "application/json", `{"partner":"news","match_key":"email"}`, 0, ""},
		{"malformed id", "acme", http.MethodGet, "/v1/sessions/not-an-id", "", "", 404, api.CodeNotFound},
		{"join with a wrong hash", "news", http.MethodPost, "/v1/sessions/" + s.ID + "/join", "application/json", `{"policy_hash":"` + strings.Repeat("0", 64) + `"}`, 0, ""},
		{"garbage part", "acme", http.MethodPut, "/v1/sessions/" + s.ID + "/blinded", api.PartContentType, string(garbage), 400, api.CodeInvalidPart},
		{"part of the wrong leg", "acme", http.MethodPut, "/v1/sessions/" + s.ID + "/reblinded", api.PartContentType, string(acme.parts[0]), 0, ""},
		{"counterpart too early", "acme", http.MethodGet, "/v1/sessions/" + s.ID + "/counterpart", "", "", 409, api.CodeWrongState},
		{"results too early", "acme", http.MethodGet, "/v1/sessions/" + s.ID + "/results", "", "", 409, api.CodeWrongState},
	}
	for _, tc := range cases {
		rec := e.as(tc.party, request(tc.method, tc.path, tc.contentType, strings.NewReader(tc.body)))
		d := checkErrorBody(t, rec)
		if rec.Code < 400 {
			t.Errorf("%s: %d, want a refusal", tc.name, rec.Code)
			continue
		}
		if tc.status != 0 && (rec.Code != tc.status || d.Code != tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, rec.Code, d.Code, tc.status, tc.code)
		}
		t.Logf("%s: %d %s %q", tc.name, rec.Code, d.Code, d.Message)
	}
}

func TestRealOversizedPart(t *testing.T) {
	e := newRealEnv(t)
	s := e.createJoined()
	acme := newSide(t, "acme", s, 0, 40, 40)
	// A genuine part followed by padding up to wire.MaxPartSize+1 bytes.
	body := io.MultiReader(bytes.NewReader(acme.parts[0]), io.LimitReader(zeros{}, wire.MaxPartSize+1-int64(len(acme.parts[0]))))
	req := request(http.MethodPut, "/v1/sessions/"+s.ID+"/blinded", api.PartContentType, body)
	req.ContentLength = -1
	rec := e.as("acme", req)
	if d := checkErrorBody(t, rec); rec.Code != http.StatusRequestEntityTooLarge || d.Code != api.CodeTooLarge {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	req = request(http.MethodPut, "/v1/sessions/"+s.ID+"/blinded", api.PartContentType, io.LimitReader(zeros{}, wire.MaxPartSize+1))
	req.ContentLength = wire.MaxPartSize + 1
	if rec := e.as("acme", req); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared length: %d %s", rec.Code, rec.Body)
	}
	// Nothing was stored: the genuine part is still accepted as part 0.
	if r := e.put("acme", s.ID, "blinded", acme.parts[0]); r.Part != 0 || r.Records != 40 {
		t.Fatalf("receipt %+v", r)
	}
}

func TestRealRateLimit(t *testing.T) {
	e := newRealEnv(t, func(c *Config) { c.Limits.Create = ratelimit.Limit{Rate: 0.001, Burst: 2} })
	body := `{"partner":"news","match_key":"email","policy":` + testPolicy + `}`
	var codes []int
	for range 3 {
		rec := e.as("acme", request(http.MethodPost, "/v1/sessions", "application/json", strings.NewReader(body)))
		codes = append(codes, rec.Code)
		if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") != "1000" {
			t.Errorf("Retry-After %q, want 1000", rec.Header().Get("Retry-After"))
		}
	}
	if codes[0] != 201 || codes[1] != 201 || codes[2] != 429 {
		t.Fatalf("codes %v, want 201 201 429", codes)
	}
	var list api.SessionList
	e.jsonAs("acme", http.MethodGet, "/v1/sessions", nil, http.StatusOK, &list)
	if len(list.Sessions) != 2 {
		t.Fatalf("%d sessions exist, want 2: the refused creation must not happen", len(list.Sessions))
	}
}

func TestRealForgedTokensAndRevocation(t *testing.T) {
	e := newRealEnv(t)
	tok := e.token("news")
	for _, bad := range []string{"", "Bearer", "Bearer " + tok[:len(tok)-2], "Bearer " + e.keys["news"], "Basic " + e.keys["news"]} {
		req := request(http.MethodGet, "/v1/sessions", "", nil)
		if bad != "" {
			req.Header.Set("Authorization", bad)
		}
		if rec := e.do(req); rec.Code != http.StatusUnauthorized {
			t.Errorf("forged credential: %d", rec.Code)
		}
	}
	if err := e.registry.Revoke(t.Context(), "news"); err != nil {
		t.Fatal(err)
	}
	req := request(http.MethodGet, "/v1/sessions", "", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if rec := e.do(req); rec.Code != http.StatusUnauthorized {
		t.Fatalf("revoked party's valid token: %d", rec.Code)
	}
	body, _ := json.Marshal(api.TokenRequest{APIKey: e.keys["news"]})
	if rec := e.do(request(http.MethodPost, "/v1/auth/token", "application/json", bytes.NewReader(body))); rec.Code != http.StatusUnauthorized {
		t.Fatalf("revoked party's key: %d", rec.Code)
	}
}

// TestRealLogsHoldNoSecrets runs a whole session and failing requests with
// real keys and tokens, then searches the log for them and for the
// identifiers the parties blinded.
func TestRealLogsHoldNoSecrets(t *testing.T) {
	e := newRealEnv(t)
	s := e.createJoined()
	acme := newSide(t, "acme", s, 0, 30, 30)
	news := newSide(t, "news", s, 10, 40, 40)
	e.put("acme", s.ID, "blinded", acme.parts[0])
	e.put("news", s.ID, "blinded", news.parts[0])
	for _, sd := range []*side{acme, news} {
		for _, part := range e.reblindCounterpart(sd, s.ID) {
			e.put(sd.party, s.ID, "reblinded", part)
		}
	}
	var secrets []string
	for party, key := range e.keys {
		tok := e.token(party)
		secrets = append(secrets, key, key[4:24], tok, tok[strings.LastIndex(tok, ".")+1:])
		for _, r := range sessionRoutes(s.ID, acme.parts[0]) {
			req := request(r.method, r.path, r.contentType, strings.NewReader(r.body))
			req.Header.Set("Authorization", "Bearer "+tok)
			e.do(req)
		}
		e.do(request(http.MethodPost, "/v1/auth/token", "application/json", strings.NewReader(`{"api_key":"`+key+`"`)))
	}
	out := e.logs.String()
	if !strings.Contains(out, `"route":"/v1/sessions/:id/reblinded"`) {
		t.Fatal("no access log captured")
	}
	for _, sec := range secrets {
		if strings.Contains(out, sec) {
			t.Fatalf("the log holds a secret (%d chars)", len(sec))
		}
	}
	for _, id := range []string{"@example.com", "user1"} {
		if strings.Contains(out, id) {
			t.Fatalf("the log holds %q", id)
		}
	}
	// Elements are never logged either, in hex or base64 (15 bytes at each
	// of the three offsets base64 can be aligned to).
	el := acme.parts[0][len(acme.parts[0])-64:]
	encs := []string{hex.EncodeToString(el[:16])}
	for i := range 3 {
		encs = append(encs, base64.StdEncoding.EncodeToString(el[i:i+15]), base64.RawURLEncoding.EncodeToString(el[i:i+15]))
	}
	for _, enc := range encs {
		if strings.Contains(out, enc) {
			t.Fatal("the log holds part bytes")
		}
	}
}
