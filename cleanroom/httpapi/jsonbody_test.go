package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

func TestJSONBodiesAreStrict(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, contentType, body string
		status                  int
		code, message           string
	}{
		{"valid", "application/json", `{"partner":"news","match_key":"email"}`, 201, "", ""},
		{"charset parameter", "application/json; charset=utf-8", `{"partner":"news","match_key":"email"}`, 201, "", ""},
		{"trailing whitespace", "application/json", "{\"partner\":\"news\",\"match_key\":\"email\"}\n\t ", 201, "", ""},
		{"no content type", "", `{"partner":"news"}`, 400, api.CodeBadRequest, "invalid Content-Type"},
		{"form content type", "application/x-www-form-urlencoded", `partner=news`, 400, api.CodeBadRequest, "invalid Content-Type"},
		{"unknown field", "application/json", `{"partner":"news","match_key":"email","admin":true}`, 400, api.CodeBadRequest, "invalid admin: unknown field"},
		{"wrong type", "application/json", `{"partner":5,"match_key":"email"}`, 400, api.CodeBadRequest, "invalid partner: must be a string"},
		{"wrong element type", "application/json", `{"partner":"news","match_key":"email","segments":[1]}`, 400, api.CodeBadRequest, "invalid segments"},
		{"array body", "application/json", `[1,2]`, 400, api.CodeBadRequest, "invalid body: must be an object"},
		{"syntax error", "application/json", `{"partner":"news",}`, 400, api.CodeBadRequest, "malformed JSON at byte"},
		{"truncated", "application/json", `{"partner":"ne`, 400, api.CodeBadRequest, "truncated"},
		{"empty", "application/json", ``, 400, api.CodeBadRequest, "empty"},
		{"two objects", "application/json", `{"partner":"news","match_key":"email"}{}`, 400, api.CodeBadRequest, "data after the JSON object"},
		{"too large", "application/json", `{"partner":"` + strings.Repeat("n", MaxJSONBody) + `"}`, 413, api.CodeTooLarge, ""},
		{"too large in trailing data", "application/json", `{"partner":"news","match_key":"email"}` + strings.Repeat(" ", MaxJSONBody), 413, api.CodeTooLarge, ""},
	}
	for _, tc := range cases {
		calls := e.sessions.callCount()
		rec := e.as("acme", request(http.MethodPost, "/v1/sessions", tc.contentType, strings.NewReader(tc.body)))
		if rec.Code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.status)
			continue
		}
		if tc.status < 400 {
			continue
		}
		if e.sessions.callCount() != calls {
			t.Errorf("%s: the service was called with a rejected body", tc.name)
		}
		d := checkErrorBody(t, rec)
		if d.Code != tc.code || !strings.Contains(d.Message, tc.message) {
			t.Errorf("%s: %q %q, want %q containing %q", tc.name, d.Code, d.Message, tc.code, tc.message)
		}
	}
}

// TestJSONErrorsDoNotQuoteTheBody sends an API key inside broken JSON: the
// error must say where, not what.
func TestJSONErrorsDoNotQuoteTheBody(t *testing.T) {
	e := newEnv(t)
	key := e.keys["acme"]
	for _, body := range []string{
		`{"api_key":"` + key + `"`,
		`{"api_key":"` + key + `"}}`,
		`{"api_key":"` + key + `",` + "\x01}",
		`{"` + key + `":1}`,
		`{"api_key":["` + key + `"]}`,
	} {
		rec := e.do(request(http.MethodPost, "/v1/auth/token", "application/json", strings.NewReader(body)))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%d for a malformed body", rec.Code)
		}
		if strings.Contains(rec.Body.String(), key) || strings.Contains(rec.Body.String(), key[:12]) {
			t.Errorf("error body quotes the key: %s", rec.Body)
		}
	}
	if strings.Contains(e.logs.String(), key[4:20]) {
		t.Error("the log quotes the key")
	}
}
