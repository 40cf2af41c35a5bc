package console_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/console"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// The console is tested as blindjoind serves it: operator.Start on a real
// loopback listener, the console mounted next to the API.

type env struct {
	room     *operator.Running
	dir      string
	cred     string // the operator credential of "ops"
	partyKey string // the API key of the advertiser "acme"
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{dir: t.TempDir()}
	var err error
	if e.cred, err = operator.AddOperator(e.dir, "ops"); err != nil {
		t.Fatal(err)
	}
	if e.partyKey, err = operator.AddParty(ctx, e.dir, "acme", api.RoleAdvertiser); err != nil {
		t.Fatal(err)
	}
	if e.room, err = operator.Start(ctx, operator.Config{DataDir: e.dir, Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.room.Stop() })
	return e
}

func newBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// read returns a response and its body; a failed request reads as status
// 0 with the error as its body, which every check then fails on.
func read(resp *http.Response, err error) (*http.Response, string) {
	if err != nil {
		return &http.Response{Header: http.Header{}}, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// login logs a browser in and returns the dashboard and its CSRF token.
func (e *env) login(t *testing.T, b *http.Client, name, cred string) (int, string, string) {
	t.Helper()
	resp, body := read(b.PostForm(e.room.URL+"/console/login", url.Values{"name": {name}, "credential": {cred}}))
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		return resp.StatusCode, body, ""
	}
	return resp.StatusCode, body, m[1]
}

func TestOperatorCredentialStoredHashed(t *testing.T) {
	e := newEnv(t)
	if !strings.HasPrefix(e.cred, console.CredentialPrefix) || len(e.cred) != len(console.CredentialPrefix)+43 {
		t.Errorf("credential shape %d characters", len(e.cred))
	}
	path := filepath.Join(e.dir, console.OperatorsFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), e.cred) || strings.Contains(string(data), e.cred[len(console.CredentialPrefix):]) {
		t.Error("the credentials file holds the credential itself")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := operator.AddOperator(e.dir, "ops"); err == nil {
		t.Error("a second operator of the same name was added")
	}
	for _, name := range []string{"", "Ops", "a b", "<script>", strings.Repeat("a", 65)} {
		if _, err := operator.AddOperator(e.dir, name); err == nil {
			t.Errorf("operator name %q accepted", name)
		}
	}
}

func TestLoginRefusesWrongCredentialsAndPartyKeys(t *testing.T) {
	e := newEnv(t)
	for name, tc := range map[string][2]string{
		"wrong credential":    {"ops", console.CredentialPrefix + strings.Repeat("A", 43)},
		"other operator name": {"root", e.cred},
		"a party's API key":   {"acme", e.partyKey},
		"empty":               {"", ""},
	} {
		status, body, csrf := e.login(t, newBrowser(), tc[0], tc[1])
		if status != http.StatusUnauthorized || csrf != "" || strings.Contains(body, "Parties") {
			t.Errorf("%s: %d, logged in %v", name, status, csrf != "")
		}
	}
	// The operator credential is not an API key either.
	resp, _ := read(http.Post(e.room.URL+"/v1/auth/token", "application/json", strings.NewReader(`{"api_key":"`+e.cred+`"}`)))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the operator credential as an API key: %d, want 401", resp.StatusCode)
	}
	status, _, csrf := e.login(t, newBrowser(), "ops", e.cred)
	if status != http.StatusOK || csrf == "" {
		t.Fatalf("the right credential: %d", status)
	}
}

func TestLoginCookie(t *testing.T) {
	e := newEnv(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := read(c.PostForm(e.room.URL+"/console/login", url.Values{"name": {"ops"}, "credential": {e.cred}}))
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusSeeOther || len(cookies) != 1 {
		t.Fatalf("%d with %d cookies", resp.StatusCode, len(cookies))
	}
	ck := cookies[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != console.Prefix || ck.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/console/, not Secure over plain HTTP", ck)
	}
	if strings.Contains(ck.Value, e.cred) {
		t.Error("the cookie holds the credential")
	}
}

func TestHeadersAndCSRF(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	_, _, csrf := e.login(t, b, "ops", e.cred)
	for _, path := range []string{"/console/", "/console/audit", "/console/static/audit.js", "/console/nothing"} {
		resp, _ := read(b.Get(e.room.URL + path))
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || resp.Header.Get("X-Frame-Options") != "DENY" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: headers %v", path, resp.Header)
		}
	}
	post := func(form url.Values, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest("POST", e.room.URL+"/console/parties", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, body := read(b.Do(req))
		return resp.StatusCode, body
	}
	for name, tc := range map[string]struct {
		csrf string
		hdr  map[string]string
	}{
		"no token":         {"", nil},
		"wrong token":      {"x" + csrf[1:], nil},
		"foreign origin":   {csrf, map[string]string{"Origin": "https://attacker.example"}},
		"cross-site fetch": {csrf, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		if status, _ := post(url.Values{"csrf": {tc.csrf}, "name": {"evil"}, "role": {"advertiser"}}, tc.hdr); status != http.StatusForbidden {
			t.Errorf("register with %s: %d, want 403", name, status)
		}
	}
	for _, path := range []string{"/console/parties/revoke", "/console/logout"} {
		resp, _ := read(b.PostForm(e.room.URL+path, url.Values{"name": {"acme"}}))
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without the CSRF token: %d, want 403", path, resp.StatusCode)
		}
	}
	if status, body := post(url.Values{"csrf": {csrf}, "name": {"news"}, "role": {"media_partner"}}, nil); status != http.StatusOK || !strings.Contains(body, "bjk_") {
		t.Errorf("register from the page: %d, key shown %v", status, strings.Contains(body, "bjk_"))
	}
}

func TestRegisterShowsKeyOnceAndItWorks(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	_, _, csrf := e.login(t, b, "ops", e.cred)
	_, body := read(b.PostForm(e.room.URL+"/console/parties", url.Values{"csrf": {csrf}, "name": {"news"}, "role": {"media_partner"}}))
	key := regexp.MustCompile(`id="api-key">(bjk_[A-Za-z0-9_-]{43})<`).FindStringSubmatch(body)
	if key == nil {
		t.Fatal("no API key on the page after registering")
	}
	resp, tok := read(http.Post(e.room.URL+"/v1/auth/token", "application/json", strings.NewReader(`{"api_key":"`+key[1]+`"}`)))
	if resp.StatusCode != http.StatusOK || !strings.Contains(tok, "access_token") {
		t.Errorf("the shown key does not authenticate: %d", resp.StatusCode)
	}
	if _, again := read(b.Get(e.room.URL + "/console/")); strings.Contains(again, key[1]) {
		t.Error("the key is shown again on the next page")
	}
	// Revoking it stops it.
	read(b.PostForm(e.room.URL+"/console/parties/revoke", url.Values{"csrf": {csrf}, "name": {"news"}}))
	if resp, _ := read(http.Post(e.room.URL+"/v1/auth/token", "application/json", strings.NewReader(`{"api_key":"`+key[1]+`"}`))); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked key: %d, want 401", resp.StatusCode)
	}
	_, dash := read(b.Get(e.room.URL + "/console/"))
	if !strings.Contains(dash, "revoked") {
		t.Error("the dashboard does not show the revocation")
	}
	// Names are escaped: a hostile one is refused by the registry, and the
	// error page does not echo it.
	_, page := read(b.PostForm(e.room.URL+"/console/parties", url.Values{"csrf": {csrf}, "name": {"<script>alert(1)</script>"}, "role": {"advertiser"}}))
	if strings.Contains(page, "<script>alert") {
		t.Error("a hostile party name reached the page unescaped")
	}
}

func TestDashboardRequiresLogin(t *testing.T) {
	e := newEnv(t)
	_, body := read(http.Get(e.room.URL + "/console/"))
	if !strings.Contains(body, "Operator login") || strings.Contains(body, "acme") {
		t.Error("the dashboard shows without a login")
	}
	// The auditor page needs no login and pre-fills the signing key.
	_, audit := read(http.Get(e.room.URL + "/console/audit"))
	if !strings.Contains(audit, hex.EncodeToString(e.room.TranscriptKey)) || !strings.Contains(audit, `src="/console/static/audit.js"`) {
		t.Error("the auditor page lacks the transcript key or its script")
	}
	if strings.Contains(audit, "<script>") {
		t.Error("inline script on the auditor page")
	}
}

// The API is unchanged next to the console: its errors keep their JSON.
func TestAPIStillServed(t *testing.T) {
	e := newEnv(t)
	resp, body := read(http.Get(e.room.URL + "/v1/sessions"))
	var eb api.ErrorBody
	if resp.StatusCode != http.StatusUnauthorized || json.Unmarshal([]byte(body), &eb) != nil || eb.Error.Code != api.CodeUnauthenticated {
		t.Errorf("GET /v1/sessions without a token: %d %s", resp.StatusCode, body)
	}
}
