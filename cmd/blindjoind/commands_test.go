package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// invoke runs the binary's entry point with an environment map.
func invoke(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code = run(context.Background(), args, &out, &errOut, lookup)
	return code, out.String(), errOut.String()
}

func TestExitStatuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"help", nil, []string{"help"}, exitOK},
		{"no command", nil, nil, exitOK},
		{"unknown command", nil, []string{"frobnicate"}, exitUsage},
		{"unknown subcommand", nil, []string{"party", "frob"}, exitUsage},
		{"flag help", nil, []string{"party", "list", "-h"}, exitOK},
		{"unknown flag", nil, []string{"party", "list", "--nope"}, exitUsage},
		{"add without role", nil, []string{"party", "add", "--data", dir, "--name", "acme"}, exitUsage},
		{"list of a missing directory", nil, []string{"party", "list", "--data", dir}, exitFail},
		{"add", nil, []string{"party", "add", "--data", dir, "--name", "acme", "--role", "advertiser"}, exitOK},
		{"add twice", nil, []string{"party", "add", "--data", dir, "--name", "acme", "--role", "advertiser"}, exitFail},
		{"add with an unknown role", nil, []string{"party", "add", "--data", dir, "--name", "zed", "--role", "king"}, exitFail},
		{"list through the environment", map[string]string{"BLINDJOIN_DATA": dir}, []string{"party", "list"}, exitOK},
		{"list with a keys directory, as cluster replicas are run", nil, []string{"party", "list", "--data", dir, "--keys", dir}, exitOK},
		{"revoke, name before flags", nil, []string{"party", "revoke", "acme", "--data", dir}, exitOK},
		{"revoke an unknown party", nil, []string{"party", "revoke", "--data", dir, "ghost"}, exitFail},
		{"revoke two names", nil, []string{"party", "revoke", "--data", dir, "a", "b"}, exitUsage},
		{"rotate", nil, []string{"keys", "rotate", "--data", dir}, exitOK},
		{"rotate a missing directory", nil, []string{"keys", "rotate", "--data", dir + "-typo"}, exitFail},
		{"show the transcript key", nil, []string{"keys", "show", "--data", dir, "--json"}, exitOK},
		{"show with a stray argument", nil, []string{"keys", "show", "--data", dir, "extra"}, exitUsage},
		{"serve with a malformed environment", map[string]string{"BLINDJOIN_DP_BUDGET": "lots"}, []string{"serve", "--data", dir}, exitUsage},
		{"serve with a bad log format", nil, []string{"serve", "--data", dir, "--log-format", "xml"}, exitUsage},
		{"serve with a long token ttl", nil, []string{"serve", "--data", dir, "--token-ttl", "1h"}, exitUsage},
		{"serve with a zero burst", nil, []string{"serve", "--data", dir, "--parts-burst", "0"}, exitUsage},
		{"serve on a bad address", nil, []string{"serve", "--data", dir, "--addr", "256.0.0.1:99999"}, exitFail},
		{"serve with a lease too short to extend", nil, []string{"serve", "--data", dir, "--job-lease", "1s"}, exitUsage},
		{"serve with negative job workers", nil, []string{"serve", "--data", dir, "--job-workers", "-1"}, exitUsage},
		{"worker without job workers", nil, []string{"worker", "--data", dir, "--job-workers", "0"}, exitUsage},
		{"worker with a blob grace shorter than an upload", nil, []string{"worker", "--data", dir, "--blob-grace", "10s"}, exitUsage},
		{"serve with a memory budget that is not a size", nil, []string{"serve", "--data", dir, "--memory-budget", "lots"}, exitUsage},
		{"serve with a negative memory budget", nil, []string{"serve", "--data", dir, "--memory-budget", "-512MiB"}, exitUsage},
		{"serve with a memory budget past int64", nil, []string{"serve", "--data", dir, "--memory-budget", "16EiB"}, exitUsage},
		{"worker with a memory budget below a relay bucket", nil, []string{"worker", "--data", dir, "--memory-budget", "8MiB"}, exitUsage},
		{"serve with a memory budget below two steps", nil, []string{"serve", "--data", dir, "--memory-budget", "100MiB"}, exitUsage},
		{"worker with a missing scratch directory", nil, []string{"worker", "--data", dir, "--scratch-dir", dir + "/no-such-dir"}, exitFail},
		{"worker with a public metrics address", nil, []string{"worker", "--data", dir, "--metrics-addr", "0.0.0.0:0"}, exitFail},
		{"worker on a missing keys directory", nil, []string{"worker", "--data", dir, "--keys", dir + "-typo"}, exitFail},
		{"worker with a bad store URL", map[string]string{"BLINDJOIN_STORE": "mysql://x"}, []string{"worker", "--data", dir}, exitFail},
	}
	for _, tc := range cases {
		code, _, stderr := invoke(t, tc.env, tc.args...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", tc.name, code, tc.code, stderr)
		}
		if code != exitOK && stderr == "" {
			t.Errorf("%s: failed silently", tc.name)
		}
	}
}

func TestPartyAddJSON(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := invoke(t, nil, "party", "add", "--data", dir, "--name", "news", "--role", "media_partner", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var p map[string]string
	if err := json.Unmarshal([]byte(stdout), &p); err != nil {
		t.Fatal(err)
	}
	if p["name"] != "news" || p["role"] != "media_partner" || !strings.HasPrefix(p["api_key"], "bjk_") || len(p) != 3 {
		t.Fatalf("%v", p)
	}
	// BLINDJOIN_JSON does not switch the output format: only the flag does.
	code, stdout, _ = invoke(t, map[string]string{"BLINDJOIN_JSON": "true"}, "party", "list", "--data", dir)
	if code != exitOK || strings.HasPrefix(stdout, "{") {
		t.Fatalf("exit %d, %q", code, stdout)
	}
}

func TestCommandLineBeatsEnvironment(t *testing.T) {
	good, bad := t.TempDir(), filepath.Join(t.TempDir(), "missing")
	if code, _, stderr := invoke(t, nil, "party", "add", "--data", good, "--name", "acme", "--role", "advertiser"); code != exitOK {
		t.Fatal(stderr)
	}
	code, stdout, stderr := invoke(t, map[string]string{"BLINDJOIN_DATA": bad}, "party", "list", "--data", good)
	if code != exitOK || !strings.Contains(stdout, "acme") {
		t.Fatalf("exit %d, %s %s", code, stdout, stderr)
	}
}

// TestPartyRevokeTakesName: "party revoke" takes --name like "party add",
// and the positional form keeps working.
func TestPartyRevokeTakesName(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"acme", "news"} {
		if code, _, stderr := invoke(t, nil, "party", "add", "--data", dir, "--name", name, "--role", "advertiser"); code != exitOK {
			t.Fatal(stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--data", dir, "--name", "acme"}, exitOK},
		{[]string{"news", "--data", dir}, exitOK},
		{[]string{"--data", dir, "--name", "acme", "news"}, exitUsage},
		{[]string{"--data", dir}, exitUsage},
		{[]string{"--data", dir, "--name", "ghost"}, exitFail},
	} {
		code, _, stderr := invoke(t, nil, append([]string{"party", "revoke"}, tc.args...)...)
		if code != tc.code {
			t.Errorf("party revoke %v: exit %d, want %d: %s", tc.args, code, tc.code, stderr)
		}
	}
	_, stdout, _ := invoke(t, nil, "party", "list", "--data", dir, "--json")
	var list struct {
		Parties []struct {
			Name      string
			RevokedAt *string `json:"revoked_at"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list.Parties) != 2 {
		t.Fatalf("%s: %v", stdout, err)
	}
	for _, p := range list.Parties {
		if p.RevokedAt == nil {
			t.Errorf("%s is not revoked", p.Name)
		}
	}
}

// TestServeRefusesPublicMetrics: metrics need no credentials, so a
// listener other hosts reach must be asked for explicitly.
func TestServeRefusesPublicMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, addr := range []string{"0.0.0.0:0", ":0", "example.com:9090", "[::]:0"} {
		code, _, stderr := invoke(t, nil, "serve", "--data", dir, "--metrics-addr", addr)
		if code != exitFail || !strings.Contains(stderr, "--metrics-public") {
			t.Errorf("--metrics-addr %s: exit %d, %s", addr, code, stderr)
		}
	}
}

// TestPartyAndKeyOutput checks what the operator reads: the API key shown
// once, the party table and list, the revocation and rotation lines, and
// the transcript key in both forms.
func TestPartyAndKeyOutput(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := invoke(t, nil, "party", "add", "--data", dir, "--name", "acme", "--role", "advertiser")
	added := regexp.MustCompile(`^registered acme \(advertiser\)\napi key: bjk_[A-Za-z0-9_-]{43}\nThe key is shown only this once; hand it to the party over a secure channel\.\n$`)
	if code != exitOK || !added.MatchString(stdout) {
		t.Fatalf("party add: exit %d, %q %s", code, stdout, stderr)
	}
	invoke(t, nil, "party", "add", "--data", dir, "--name", "news", "--role", "media_partner")
	if code, stdout, _ = invoke(t, nil, "party", "revoke", "--data", dir, "news"); code != exitOK ||
		stdout != "revoked news: its API key and access tokens no longer work\n" {
		t.Fatalf("revoke: exit %d, %q", code, stdout)
	}
	_, stdout, _ = invoke(t, nil, "party", "list", "--data", dir)
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") ||
		!strings.Contains(lines[1], "acme") || !strings.Contains(lines[1], "active") || !strings.Contains(lines[2], "revoked") {
		t.Fatalf("table:\n%s", stdout)
	}
	_, stdout, _ = invoke(t, nil, "party", "list", "--data", dir, "--json")
	var list struct {
		Parties []struct {
			Name, Role string
			Created    *time.Time
			RevokedAt  *time.Time `json:"revoked_at"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil || len(list.Parties) != 2 ||
		list.Parties[0].RevokedAt != nil || list.Parties[1].RevokedAt == nil || list.Parties[1].Created == nil {
		t.Fatalf("%s: %v", stdout, err)
	}
	if strings.Contains(stdout, "bjk_") {
		t.Fatal("list shows a key")
	}
	if code, stdout, _ = invoke(t, nil, "keys", "rotate", "--data", dir); code != exitOK ||
		!regexp.MustCompile(`^new token-signing key \S+; tokens signed by the previous key stay valid until they expire \(at most 15m0s\)\n$`).MatchString(stdout) {
		t.Fatalf("rotate: exit %d, %q", code, stdout)
	}
	_, text, _ := invoke(t, nil, "keys", "show", "--data", dir)
	_, asJSON, _ := invoke(t, nil, "keys", "show", "--data", dir, "--json")
	var shown struct {
		Key string `json:"transcript_public_key"`
	}
	if err := json.Unmarshal([]byte(asJSON), &shown); err != nil || !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(text) ||
		strings.TrimSpace(text) != shown.Key {
		t.Fatalf("keys show printed %q and %q (%v)", text, asJSON, err)
	}
}
