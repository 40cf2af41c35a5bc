package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/partner/profile"
)

func TestRemoteCommandUsage(t *testing.T) {
	for _, args := range [][]string{
		{"session", "create", "--match-key", "email"},
		{"session", "create", "--partner", "news", "--match-key", "email", "--segments", "a", "--segments-from", "f.csv"},
		{"session", "create", "--partner", "news", "--match-key", "email", "extra"},
		{"session", "join"},
		{"session", "show", "a", "b"},
		{"session", "delete"},
		{"session", "transcript"},
		{"results"},
		{"match", "ID", "--in", "f.csv"},
		{"match", "ID", "--in", "f.csv", "--id-column", "email", "--out", "o", "--poll", "0s"},
		{"demo", "extra"},
		// No server or key anywhere.
		{"session", "list"},
	} {
		var out, errOut bytes.Buffer
		env := func(string) (string, bool) { return "", false }
		code := run(args, stdio{in: strings.NewReader(""), out: &out, err: &errOut, env: env})
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut.String())
		}
	}
}

func TestCredentialsFromEnvironment(t *testing.T) {
	// The variables are read when the flags are absent: an unreachable
	// loopback server proves the client was built from them. The client
	// retries a refused connection until the context ends.
	env := map[string]string{profile.EnvServer: "http://127.0.0.1:1", profile.EnvAPIKey: "bjk_not-a-real-key"}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	code := run([]string{"session", "list"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut, ctx: ctx,
		env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if code != exitFail || !strings.Contains(errOut.String(), "127.0.0.1:1") {
		t.Fatalf("exit %d, stderr %q: want a connection failure", code, errOut.String())
	}
	if strings.Contains(errOut.String(), "bjk_not-a-real-key") {
		t.Errorf("the API key leaked into an error: %s", errOut.String())
	}
	// Plain http is refused for a host that is not loopback.
	env[profile.EnvServer] = "http://cleanroom.example"
	errOut.Reset()
	code = run([]string{"session", "list"}, stdio{in: strings.NewReader(""), out: &out, err: &errOut,
		env: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if code != exitUsage || !strings.Contains(errOut.String(), "plain http") {
		t.Errorf("plain http to a remote host: exit %d, %q", code, errOut.String())
	}
}
