package operator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
	"github.com/blindjoin/blindjoin/protocol/api"
)

var apiKeyForm = regexp.MustCompile(`^bjk_[A-Za-z0-9_-]{43}$`)

func TestPartyCommands(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	if err := ListParties(ctx, dir, false, &out); !errors.Is(err, ErrNoDataDir) {
		t.Fatalf("list before any party: %v", err)
	}
	if err := AddParty(ctx, dir, "acme", api.RoleAdvertiser, false, &out); err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`api key: (\S+)`).FindStringSubmatch(out.String())
	if key == nil || !apiKeyForm.MatchString(key[1]) {
		t.Fatalf("text output %q", out.String())
	}
	out.Reset()
	if err := AddParty(ctx, dir, "news", api.RoleMediaPartner, true, &out); err != nil {
		t.Fatal(err)
	}
	var added struct {
		Name   string
		Role   string
		APIKey string `json:"api_key"`
	}
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&added); err != nil || added.Name != "news" || added.Role != api.RoleMediaPartner || !apiKeyForm.MatchString(added.APIKey) {
		t.Fatalf("JSON output %+v, %v", added, err)
	}
	for _, bad := range []struct{ name, role string }{{"acme", api.RoleAdvertiser}, {"x", "king"}, {"Bad Name", api.RoleAuditor}} {
		if err := AddParty(ctx, dir, bad.name, bad.role, false, io.Discard); err == nil {
			t.Errorf("AddParty(%q, %q) succeeded", bad.name, bad.role)
		}
	}
	if err := RevokeParty(ctx, dir, "news", io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := RevokeParty(ctx, dir, "ghost", io.Discard); err == nil {
		t.Fatal("revoking an unknown party succeeded")
	}

	out.Reset()
	if err := ListParties(ctx, dir, true, &out); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Parties []struct {
			Name, Role string
			Created    *time.Time
			RevokedAt  *time.Time `json:"revoked_at"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list.Parties) != 2 {
		t.Fatalf("%s: %v", out.String(), err)
	}
	if p := list.Parties[1]; p.Name != "news" || p.RevokedAt == nil || list.Parties[0].RevokedAt != nil {
		t.Fatalf("%+v", list.Parties)
	}
	if strings.Contains(out.String(), "bjk_") {
		t.Fatal("list shows a key")
	}
	out.Reset()
	if err := ListParties(ctx, dir, false, &out); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 ||
		!strings.Contains(lines[1], "acme") || !strings.Contains(lines[2], "revoked") {
		t.Fatalf("table:\n%s", out.String())
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	for _, f := range []string{"json", "text"} {
		log, err := NewLogger(f, "warn", &buf)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("hidden")
		log.Warn("shown")
	}
	if strings.Contains(buf.String(), "hidden") || strings.Count(buf.String(), "shown") != 2 {
		t.Fatalf("%q", buf.String())
	}
	if _, err := NewLogger("xml", "info", &buf); err == nil {
		t.Error("xml format accepted")
	}
	if _, err := NewLogger("json", "loud", &buf); err == nil {
		t.Error("unknown level accepted")
	}
}

// server is a Serve call running in the background.
type server struct {
	addr string
	logs *testkit.SyncBuffer
	stop context.CancelFunc
	done chan error
}

func startServer(t *testing.T, dir string) *server {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	s := &server{logs: &testkit.SyncBuffer{}, stop: stop, done: make(chan error, 1)}
	started := make(chan string, 1)
	go func() {
		s.done <- Serve(ctx, ServeConfig{
			DataDir: dir, Addr: "127.0.0.1:0",
			Logger:  slog.New(slog.NewJSONHandler(s.logs, nil)),
			Started: func(addr string) { started <- addr },
		})
	}()
	select {
	case s.addr = <-started:
	case err := <-s.done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	t.Cleanup(func() {
		stop()
		<-s.done
	})
	return s
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

// token gets an access token over HTTP.
func (s *server) token(t *testing.T, key string) string {
	t.Helper()
	res, err := http.Post(s.url("/v1/auth/token"), "application/json", strings.NewReader(`{"api_key":"`+key+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var tr api.TokenResponse
	if err := json.NewDecoder(res.Body).Decode(&tr); err != nil || res.StatusCode != 200 {
		t.Fatalf("token: %d %v", res.StatusCode, err)
	}
	return tr.AccessToken
}

func addParty(t *testing.T, dir, name, role string) string {
	t.Helper()
	var out bytes.Buffer
	if err := AddParty(context.Background(), dir, name, role, true, &out); err != nil {
		t.Fatal(err)
	}
	var p struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	return p.APIKey
}

// TestServeShutsDownGracefully starts a token request, begins shutdown
// while its body is still arriving, and checks that the request completes
// and Serve returns nil.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	key := addParty(t, dir, "acme", api.RoleAdvertiser)
	s := startServer(t, dir)

	start := regexp.MustCompile(`"msg":"blindjoind serving","addr":"([^"]+)","transcript_public_key":"([0-9a-f]{64})"`)
	if m := start.FindStringSubmatch(s.logs.String()); m == nil || m[1] != s.addr {
		t.Fatalf("start line missing:\n%s", s.logs)
	}

	pr, pw := io.Pipe()
	type result struct {
		status int
		err    error
	}
	res := make(chan result, 1)
	go func() {
		r, err := http.Post(s.url("/v1/auth/token"), "application/json", pr)
		if err != nil {
			res <- result{err: err}
			return
		}
		r.Body.Close()
		res <- result{status: r.StatusCode}
	}()
	io.WriteString(pw, `{"api_key":`)
	time.Sleep(200 * time.Millisecond) // the request is now in flight
	s.stop()
	time.Sleep(200 * time.Millisecond) // shutdown has begun
	io.WriteString(pw, `"`+key+`"}`)
	pw.Close()
	r := <-res
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("in-flight request: %d %v", r.status, r.err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("Serve returned %v", err)
		}
		s.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if _, err := http.Get(s.url("/healthz")); err == nil {
		t.Fatal("the server still answers after shutdown")
	}
	if strings.Contains(s.logs.String(), key) {
		t.Fatal("the log holds the API key")
	}
}

// TestRotateKeysReachesTheRunningServer: a rotation made by the command
// while the server runs changes the signing key within a second or so, and
// tokens signed before stay valid.
func TestRotateKeysReachesTheRunningServer(t *testing.T) {
	dir := t.TempDir()
	key := addParty(t, dir, "acme", api.RoleAdvertiser)
	s := startServer(t, dir)
	before := s.token(t, key)
	if err := RotateKeys(dir, io.Discard); err != nil {
		t.Fatal(err)
	}
	kid := func(tok string) string {
		h, _, _ := strings.Cut(tok, ".")
		var hdr struct{ Kid string }
		b, _ := base64.RawURLEncoding.DecodeString(h)
		json.Unmarshal(b, &hdr)
		return hdr.Kid
	}
	deadline := time.Now().Add(10 * time.Second)
	for kid(s.token(t, key)) == kid(before) {
		if time.Now().After(deadline) {
			t.Fatal("the server still signs with the old key")
		}
		time.Sleep(200 * time.Millisecond)
	}
	req, _ := http.NewRequest(http.MethodGet, s.url("/v1/sessions"), nil)
	req.Header.Set("Authorization", "Bearer "+before)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("token from before the rotation: %d", res.StatusCode)
	}
	res, err = http.Get(s.url("/.well-known/jwks.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set struct{ Keys []json.RawMessage }
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS after rotation: %d keys, %v", len(set.Keys), err)
	}
}

func TestRotateKeysNeedsADataDirectory(t *testing.T) {
	if err := RotateKeys(filepath.Join(t.TempDir(), "typo"), io.Discard); !errors.Is(err, ErrNoDataDir) {
		t.Fatalf("%v", err)
	}
}

func TestServeRefusesABadFloor(t *testing.T) {
	dir := t.TempDir()
	floor := filepath.Join(dir, "floor.json")
	if err := os.WriteFile(floor, []byte(`{"k": "fifty"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	err := Serve(context.Background(), ServeConfig{DataDir: dir, Addr: "127.0.0.1:0", FloorFile: floor, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		t.Fatal("Serve accepted a malformed floor policy")
	}
}

// TestShowTranscriptKeyIsTheServersKey: the key an operator publishes
// before the first start is the one the server then signs with.
func TestShowTranscriptKeyIsTheServersKey(t *testing.T) {
	dir := t.TempDir()
	if err := ShowTranscriptKey(dir+"-typo", false, io.Discard); err == nil {
		t.Fatal("a missing data directory was accepted")
	}
	var shown bytes.Buffer
	if err := ShowTranscriptKey(dir, false, &shown); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir)
	start := regexp.MustCompile(`"transcript_public_key":"([0-9a-f]{64})"`)
	m := start.FindStringSubmatch(s.logs.String())
	if m == nil || strings.TrimSpace(shown.String()) != m[1] {
		t.Fatalf("keys show printed %q; the server announced %v", shown.String(), m)
	}
	var asJSON bytes.Buffer
	if err := ShowTranscriptKey(dir, true, &asJSON); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Key string `json:"transcript_public_key"`
	}
	if err := json.Unmarshal(asJSON.Bytes(), &out); err != nil || out.Key != m[1] {
		t.Fatalf("--json printed %q (%v), want key %s", asJSON.String(), err, m[1])
	}
}
