package httpapi

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/protocol/api"
)

var b64 = base64.RawURLEncoding

// compactJWS builds a token by hand, so that the tests can forge what the
// JWT library would refuse to produce. sign gets the signing input.
func compactJWS(t *testing.T, header, claims map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	return input + "." + b64.EncodeToString(sign([]byte(input)))
}

// currentKey returns the kid and public key the keyring publishes.
func (e *env) currentKey() (string, ed25519.PublicKey) {
	e.t.Helper()
	var set struct {
		Keys []struct{ Kid, X string }
	}
	if err := json.Unmarshal(e.keyring.JWKS(), &set); err != nil || len(set.Keys) == 0 {
		e.t.Fatalf("JWKS: %v", err)
	}
	k := set.Keys[len(set.Keys)-1]
	x, err := b64.DecodeString(k.X)
	if err != nil {
		e.t.Fatal(err)
	}
	return k.Kid, x
}

// protectedRoutes lists one request per authenticated route.
var protectedRoutes = []struct{ method, path, contentType, body string }{
	{http.MethodGet, "/v1/sessions", "", ""},
	{http.MethodPost, "/v1/sessions", "application/json", `{"partner":"news","match_key":"email"}`},
	{http.MethodGet, "/v1/sessions/s1", "", ""},
	{http.MethodDelete, "/v1/sessions/s1", "", ""},
	{http.MethodPost, "/v1/sessions/s1/join", "application/json", `{"policy_hash":"00"}`},
	{http.MethodPut, "/v1/sessions/s1/blinded", api.PartContentType, "part"},
	{http.MethodGet, "/v1/sessions/s1/counterpart", "", ""},
	{http.MethodPut, "/v1/sessions/s1/reblinded", api.PartContentType, "part"},
	{http.MethodGet, "/v1/sessions/s1/results", "", ""},
	{http.MethodGet, "/v1/sessions/s1/transcript", "", ""},
}

func TestForgedTokensAreRefused(t *testing.T) {
	e := newEnv(t)
	kid, pub := e.currentKey()
	now := e.clock.Now()
	claims := func(party string, role api.Role) map[string]any {
		return map[string]any{
			"iss": testIssuer, "aud": []string{testAudience}, "sub": party, "role": role,
			"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "forged",
		}
	}
	_, foreign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	valid := e.token("news")
	parts := strings.Split(valid, ".")
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	otherAudience, err := auth.NewAuthority(e.keyring, testIssuer, "another-api", time.Minute, e.clock.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherIssuer, err := auth.NewAuthority(e.keyring, "https://evil.test", testAudience, time.Minute, e.clock.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mustIssue := func(a *auth.Authority, party string, role api.Role) string {
		tok, _, err := a.Issue(party, role)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	expiring := mustIssue(e.tokens, "acme", api.RoleAdvertiser)
	revoked := mustIssue(e.tokens, "audit", api.RoleAuditor)

	cases := []struct {
		name, authorization string
		before              func()
	}{
		{name: "no header"},
		{name: "empty bearer", authorization: "Bearer "},
		{name: "scheme only", authorization: "Bearer"},
		{name: "basic scheme", authorization: "Basic YWNtZTpzZWNyZXQ="},
		{name: "garbage", authorization: "Bearer not-a-token"},
		{name: "three empty segments", authorization: "Bearer .."},
		{name: "api key as token", authorization: "Bearer " + e.keys["acme"]},
		{name: "double space", authorization: "Bearer  " + valid},
		{name: "oversized", authorization: "Bearer " + strings.Repeat("a", auth.MaxTokenSize+1)},
		{name: "alg none", authorization: "Bearer " + compactJWS(t,
			map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, claims("acme", api.RoleAdvertiser),
			func([]byte) []byte { return nil })},
		{name: "HS256 keyed with the public key", authorization: "Bearer " + compactJWS(t,
			map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}, claims("acme", api.RoleAdvertiser),
			func(in []byte) []byte { m := hmac.New(sha256.New, pub); m.Write(in); return m.Sum(nil) })},
		{name: "foreign key under our kid", authorization: "Bearer " + compactJWS(t,
			map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": kid}, claims("acme", api.RoleAdvertiser),
			func(in []byte) []byte { return ed25519.Sign(foreign, in) })},
		{name: "no kid", authorization: "Bearer " + compactJWS(t,
			map[string]any{"alg": "EdDSA", "typ": "JWT"}, claims("acme", api.RoleAdvertiser),
			func(in []byte) []byte { return ed25519.Sign(foreign, in) })},
		{name: "payload swapped under a valid signature", authorization: "Bearer " + parts[0] + "." +
			b64.EncodeToString(bytes.Replace(payload, []byte(`"news"`), []byte(`"acme"`), 1)) + "." + parts[2]},
		{name: "signature truncated", authorization: "Bearer " + valid[:len(valid)-4]},
		{name: "signature of another token", authorization: "Bearer " + parts[0] + "." + parts[1] + "." +
			strings.Split(e.token("acme"), ".")[2]},
		{name: "wrong audience", authorization: "Bearer " + mustIssue(otherAudience, "acme", api.RoleAdvertiser)},
		{name: "wrong issuer", authorization: "Bearer " + mustIssue(otherIssuer, "acme", api.RoleAdvertiser)},
		{name: "unregistered party", authorization: "Bearer " + mustIssue(e.tokens, "ghost", api.RoleAdvertiser)},
		{name: "revoked party", authorization: "Bearer " + revoked, before: func() { e.parties.revoke("audit") }},
		{name: "expired", authorization: "Bearer " + expiring, before: func() { e.clock.Advance(11 * time.Minute) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			for _, r := range protectedRoutes {
				calls := e.sessions.callCount()
				req := request(r.method, r.path, r.contentType, strings.NewReader(r.body))
				if tc.authorization != "" {
					req.Header.Set("Authorization", tc.authorization)
				}
				rec := e.do(req)
				if rec.Code != http.StatusUnauthorized {
					t.Fatalf("%s %s: %d %s, want 401", r.method, r.path, rec.Code, rec.Body)
				}
				if d := checkErrorBody(t, rec); d.Code != api.CodeUnauthenticated {
					t.Errorf("%s %s: code %q", r.method, r.path, d.Code)
				}
				if !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
					t.Errorf("%s %s: no WWW-Authenticate challenge", r.method, r.path)
				}
				if e.sessions.callCount() != calls {
					t.Fatalf("%s %s: the service was called for an unauthenticated request", r.method, r.path)
				}
			}
		})
	}
}

// TestValidTokenIsAccepted is the control of the table above: the same
// routes with a genuine token reach the service.
func TestValidTokenIsAccepted(t *testing.T) {
	e := newEnv(t)
	for _, r := range protectedRoutes {
		party := "acme"
		rec := e.as(party, request(r.method, r.path, r.contentType, strings.NewReader(r.body)))
		if rec.Code >= 400 {
			t.Errorf("%s %s: %d %s", r.method, r.path, rec.Code, rec.Body)
		}
	}
	if n := e.sessions.callCount(); n != len(protectedRoutes) {
		t.Fatalf("service called %d times, want %d", n, len(protectedRoutes))
	}
}

func TestRevocationTakesEffectImmediately(t *testing.T) {
	e := newEnv(t)
	tok := e.token("news")
	get := func() int {
		req := request(http.MethodGet, "/v1/sessions", "", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return e.do(req).Code
	}
	if code := get(); code != http.StatusOK {
		t.Fatalf("before revocation: %d", code)
	}
	e.parties.revoke("news")
	if code := get(); code != http.StatusUnauthorized {
		t.Fatalf("after revocation: %d, want 401", code)
	}
	rec := e.do(request(http.MethodPost, "/v1/auth/token", "application/json",
		strings.NewReader(`{"api_key":"`+e.keys["news"]+`"}`)))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("token request of a revoked party: %d, want 401", rec.Code)
	}
}

func TestRegistryFailureIsInternal(t *testing.T) {
	e := newEnv(t)
	tok := e.token("acme")
	e.parties.err = errStoreDown
	req := request(http.MethodGet, "/v1/sessions", "", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := e.do(req)
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "disk") {
		t.Fatalf("%d %s: want a bare 500", rec.Code, rec.Body)
	}
}

func TestTokenEndpoint(t *testing.T) {
	e := newEnv(t)
	rec := e.do(request(http.MethodPost, "/v1/auth/token", "application/json",
		strings.NewReader(`{"api_key":"`+e.keys["acme"]+`"}`)))
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var tr api.TokenResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &tr); err != nil {
		t.Fatal(err)
	}
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 600 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("response %+v, Cache-Control %q", tr, rec.Header().Get("Cache-Control"))
	}
	claims, err := e.tokens.Verify(tr.AccessToken)
	if err != nil || claims.Party != "acme" || claims.Role != api.RoleAdvertiser {
		t.Fatalf("issued token: %+v, %v", claims, err)
	}

	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"unknown key", `{"api_key":"bjk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`, 401},
		{"empty key", `{"api_key":""}`, 401},
		{"no key", `{}`, 401},
		{"key of wrong type", `{"api_key":42}`, 400},
		{"unknown field", `{"api_key":"x","password":"y"}`, 400},
	} {
		rec := e.do(request(http.MethodPost, "/v1/auth/token", "application/json", strings.NewReader(tc.body)))
		if rec.Code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, rec.Code, rec.Body, tc.status)
		}
	}
}
