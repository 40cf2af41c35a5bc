package operator

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
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
	if _, err := ListParties(ctx, dir); !errors.Is(err, ErrNoDataDir) {
		t.Fatalf("list before any party: %v", err)
	}
	keys := map[string]bool{}
	for _, p := range []struct {
		name string
		role api.Role
	}{{"acme", api.RoleAdvertiser}, {"news", api.RoleMediaPartner}} {
		key, err := AddParty(ctx, dir, p.name, p.role)
		if err != nil {
			t.Fatal(err)
		}
		if !apiKeyForm.MatchString(key) || keys[key] {
			t.Fatalf("API key %q for %s", key, p.name)
		}
		keys[key] = true
	}
	for _, bad := range []struct {
		name string
		role api.Role
	}{{"acme", api.RoleAdvertiser}, {"x", "king"}, {"Bad Name", api.RoleAuditor}} {
		if key, err := AddParty(ctx, dir, bad.name, bad.role); err == nil || key != "" {
			t.Errorf("AddParty(%q, %q) = %q, %v", bad.name, bad.role, key, err)
		}
	}
	if err := RevokeParty(ctx, dir, "news"); err != nil {
		t.Fatal(err)
	}
	if err := RevokeParty(ctx, dir, "ghost"); err == nil {
		t.Fatal("revoking an unknown party succeeded")
	}
	parties, err := ListParties(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(parties) != 2 || parties[0].Name != "acme" || !parties[0].RevokedAt.IsZero() ||
		parties[1].Name != "news" || parties[1].Role != api.RoleMediaPartner || parties[1].RevokedAt.IsZero() {
		t.Fatalf("%+v", parties)
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

// server is a clean room started by Start, with its log.
type server struct {
	*Running
	logs *testkit.SyncBuffer
}

func startServer(t *testing.T, dir string) *server {
	t.Helper()
	logs := &testkit.SyncBuffer{}
	r, err := Start(context.Background(), Config{DataDir: dir, Addr: "127.0.0.1:0", Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { r.Stop() })
	return &server{Running: r, logs: logs}
}

func (s *server) url(path string) string { return s.URL + path }

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

func addParty(t *testing.T, dir, name string, role api.Role) string {
	t.Helper()
	key, err := AddParty(context.Background(), dir, name, role)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestServeShutsDownGracefully starts a token request, begins shutdown
// while its body is still arriving, and checks that the request completes
// and Stop returns nil.
func TestServeShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	key := addParty(t, dir, "acme", api.RoleAdvertiser)
	s := startServer(t, dir)

	start := regexp.MustCompile(`"msg":"blindjoind serving","addr":"([^"]+)","transcript_public_key":"([0-9a-f]{64})"`)
	if m := start.FindStringSubmatch(s.logs.String()); m == nil || m[1] != s.Addr || m[2] != hex.EncodeToString(s.TranscriptKey) {
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
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	time.Sleep(200 * time.Millisecond) // shutdown has begun
	io.WriteString(pw, `"`+key+`"}`)
	pw.Close()
	r := <-res
	if r.err != nil || r.status != http.StatusOK {
		t.Fatalf("in-flight request: %d %v", r.status, r.err)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return")
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
	newKid, err := RotateKeys(dir)
	if err != nil {
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
	if newKid == kid(before) {
		t.Fatalf("rotation returned the current key id %q", newKid)
	}
	for kid(s.token(t, key)) != newKid {
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
	if _, err := RotateKeys(filepath.Join(t.TempDir(), "typo")); !errors.Is(err, ErrNoDataDir) {
		t.Fatalf("%v", err)
	}
}

func TestServeRefusesABadFloor(t *testing.T) {
	dir := t.TempDir()
	floor := filepath.Join(dir, "floor.json")
	if err := os.WriteFile(floor, []byte(`{"k": "fifty"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Start(context.Background(), Config{DataDir: dir, Addr: "127.0.0.1:0", FloorFile: floor, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		r.Stop()
		t.Fatal("Start accepted a malformed floor policy")
	}
}

// TestTranscriptKeyIsTheServersKey: the key an operator publishes before
// the first start is the one the server then signs with, and announces.
func TestTranscriptKeyIsTheServersKey(t *testing.T) {
	dir := t.TempDir()
	if _, err := TranscriptKey(dir + "-typo"); err == nil {
		t.Fatal("a missing data directory was accepted")
	}
	published, err := TranscriptKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir)
	start := regexp.MustCompile(`"transcript_public_key":"([0-9a-f]{64})"`)
	m := start.FindStringSubmatch(s.logs.String())
	if m == nil || hex.EncodeToString(published) != m[1] || !published.Equal(s.TranscriptKey) {
		t.Fatalf("published %x; the server announced %v and holds %x", published, m, s.TranscriptKey)
	}
}

// TestDrainDelay: a stopping server with a drain delay still answers, and
// says it is unready, so that a load balancer's health check takes it out
// before its listener closes.
func TestDrainDelay(t *testing.T) {
	dir := t.TempDir()
	r, err := Start(context.Background(), Config{DataDir: dir, Addr: "127.0.0.1:0", DrainDelay: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	readyz := func() (int, error) {
		res, err := http.Get(r.URL + "/readyz")
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	if code, err := readyz(); code != http.StatusOK {
		t.Fatalf("readyz before the stop: %d %v", code, err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop() }()
	deadline := time.Now().Add(time.Second)
	for {
		code, err := readyz()
		if code == http.StatusServiceUnavailable {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("readyz while draining: %d %v, want 503 until the listener closes", code, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := readyz(); err == nil {
		t.Fatal("the server still answers after the drain")
	}
}

// TestStartSweepsDeadSpills: a clean room starting on a scratch directory
// that a killed process left a spill in (its lock file held by no one)
// removes it, leaves the spill of a process that may be alive (no lock,
// just made), and logs how many it removed, never what they held.
func TestStartSweepsDeadSpills(t *testing.T) {
	dir, scratch := t.TempDir(), t.TempDir()
	dead, young := filepath.Join(scratch, "blindjoin-spill-dead"), filepath.Join(scratch, "blindjoin-spill-young")
	for _, d := range []string{dead, young} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "0"), []byte("blinded-element-bytes"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dead, "owner.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &testkit.SyncBuffer{}
	r, err := Start(context.Background(), Config{DataDir: dir, Addr: "127.0.0.1:0", ScratchDir: scratch, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer r.Stop()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Fatalf("the dead process's spill is still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(young, "0")); err != nil {
		t.Fatalf("the young spill without a lock was touched: %v", err)
	}
	if !strings.Contains(logs.String(), `"msg":"swept dead processes' spill directories","removed":1`) || strings.Contains(logs.String(), "blinded-element-bytes") {
		t.Fatalf("log:\n%s", logs)
	}
}
