package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// TestJSONBodiesRefuseDuplicateKeys: encoding/json keeps the last of two
// equal keys, so a body could say one thing to a reviewer (or a proxy that
// keeps the first) and another to the server. Every JSON route refuses
// them, wherever they are, without repeating the key.
func TestJSONBodiesRefuseDuplicateKeys(t *testing.T) {
	e := newEnv(t)
	key := e.keys["acme"]
	const valid = `"partner":"news","match_key":"email"`
	for _, tc := range []struct {
		name, path, body string
	}{
		{"token: top level", "/v1/auth/token", `{"api_key":"bjk_wrong","api_key":"` + key + `"}`},
		{"token: escaped twin", "/v1/auth/token", `{"api_key":"bjk_wrong","\u0061pi_key":"` + key + `"}`},
		{"token: case twin", "/v1/auth/token", `{"api_key":"bjk_wrong","API_KEY":"` + key + `"}`},
		{"token: case variant alone", "/v1/auth/token", `{"Api_Key":"` + key + `"}`},
		{"create: top level", "/v1/sessions", `{` + valid + `,"partner":"other"}`},
		{"create: escaped twin", "/v1/sessions", `{` + valid + `,"\u0070artner":"other"}`},
		{"create: nested in the policy", "/v1/sessions", `{` + valid + `,"policy":{"k":50,"k":2}}`},
		{"create: escaped in the policy", "/v1/sessions", `{` + valid + `,"policy":{"min_rows":1000,"min_ro\u0077s":1}}`},
		{"create: two levels down", "/v1/sessions", `{` + valid + `,"policy":{"dp":{"epsilon":1,"epsilon":20}}}`},
		{"create: in an array of objects", "/v1/sessions", `{` + valid + `,"policy":{"rules":[{"k":1},{"k":1,"k":2}]}}`},
		{"join: top level", "/v1/sessions/0123456789abcdef0123456789abcdef/join", `{"policy_hash":"a","policy_hash":"b"}`},
		{"join: escaped twin", "/v1/sessions/0123456789abcdef0123456789abcdef/join", `{"policy_hash":"a","policy_hash":"b"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := e.sessions.callCount()
			req := request(http.MethodPost, tc.path, "application/json", strings.NewReader(tc.body))
			var rec *httptest.ResponseRecorder
			switch {
			case strings.HasPrefix(tc.path, "/v1/auth/"):
				rec = e.do(req)
			case strings.HasSuffix(tc.path, "/join"):
				rec = e.as("news", req)
			default:
				rec = e.as("acme", req)
			}
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("%d %s, want 400", rec.Code, rec.Body)
			}
			if e.sessions.callCount() != calls {
				t.Error("the service was called with a refused body")
			}
			d := checkErrorBody(t, rec)
			if d.Code != api.CodeBadRequest || !strings.HasPrefix(d.Message, "invalid body: ") {
				t.Errorf("%q %q", d.Code, d.Message)
			}
			for _, leak := range []string{key[:12], "api_key", "partner", "min_rows", "epsilon"} {
				if strings.Contains(d.Message, leak) {
					t.Errorf("the message %q repeats %q", d.Message, leak)
				}
			}
		})
	}
	if strings.Contains(e.logs.String(), key[4:20]) {
		t.Error("the log holds the API key")
	}
}
