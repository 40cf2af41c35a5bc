package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKeysDirectory: keys init makes a directory the keys commands read
// with --keys (or BLINDJOIN_KEYS), and serve refuses a --keys directory
// that keys init never made.
func TestKeysDirectory(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if code, _, stderr := invoke(t, nil, "keys", "init"); code != exitUsage || !strings.Contains(stderr, "--keys is required") {
		t.Errorf("keys init without --keys: exit %d, %q", code, stderr)
	}
	code, out, stderr := invoke(t, nil, "keys", "init", "--keys", keys)
	if code != exitOK {
		t.Fatalf("keys init: exit %d, %s", code, stderr)
	}
	pub := regexp.MustCompile(`[0-9a-f]{64}`).FindString(out)
	if pub == "" {
		t.Fatalf("keys init printed no transcript key: %q", out)
	}
	for _, f := range []string{"server-secret", "transcript-signing.pem", "keys/token-signing.json"} {
		fi, err := os.Stat(filepath.Join(keys, f))
		if err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: %v, mode %v", f, err, fi)
		}
	}
	// Again: the same keys, not new ones.
	if _, again, _ := invoke(t, nil, "keys", "init", "--keys", keys); !strings.Contains(again, pub) {
		t.Errorf("second keys init changed the transcript key: %q", again)
	}
	if _, shown, _ := invoke(t, map[string]string{"BLINDJOIN_KEYS": keys}, "keys", "show"); strings.TrimSpace(shown) != pub {
		t.Errorf("keys show with BLINDJOIN_KEYS = %q, want %s", shown, pub)
	}
	if code, out, stderr := invoke(t, nil, "keys", "rotate", "--keys", keys); code != exitOK || !strings.Contains(out, "new token-signing key") {
		t.Errorf("keys rotate --keys: exit %d, %q %q", code, out, stderr)
	}
	data := filepath.Join(t.TempDir(), "data")
	code, _, stderr = invoke(t, nil, "serve", "--data", data, "--keys", keys+"-typo", "--addr", "127.0.0.1:0")
	if code != exitFail || !strings.Contains(stderr, "keys init") {
		t.Errorf("serve with an uninitialized --keys: exit %d, %q", code, stderr)
	}
}

// TestLocationURLs: --store and --blobs take only the URL schemes they
// serve, from the flag or the environment, and never echo the URL (it may
// hold a password).
func TestLocationURLs(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"store scheme", nil, []string{"party", "list", "--store", "mysql://u:hunter2@h/db"}, "--store must be a postgres:// URL"},
		{"store from the environment", map[string]string{"BLINDJOIN_STORE": "sqlite://u:hunter2@x"}, []string{"party", "add", "--name", "a", "--role", "auditor"}, "--store must be a postgres:// URL"},
		{"malformed postgres URL", nil, []string{"party", "list", "--store", "postgres://u:hunter2@h:port/db"}, "invalid connection string"},
		{"blobs scheme", nil, []string{"serve", "--data", data, "--blobs", "gs://hunter2", "--addr", "127.0.0.1:0"}, "--blobs must be an s3:// URL"},
		{"blobs from the environment", map[string]string{"BLINDJOIN_BLOBS": "file://hunter2"}, []string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, "--blobs must be an s3:// URL"},
	} {
		code, _, stderr := invoke(t, tc.env, tc.args...)
		if code != exitFail || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %q", tc.name, code, stderr, tc.want)
		}
		if strings.Contains(stderr, "hunter2") {
			t.Errorf("%s: the URL reached the error: %q", tc.name, stderr)
		}
	}
}
