package session

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestKeysPersist(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(h.dir, serverSecretFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != serverSecretSize {
		t.Fatalf("server secret file: %v, %v", fi, err)
	}
	pub, secret := h.svc.TranscriptPublicKey(), h.svc.secret
	h.reopen()
	if !bytes.Equal(pub, h.svc.TranscriptPublicKey()) || !bytes.Equal(secret, h.svc.secret) {
		t.Fatal("keys changed across a restart")
	}
	h.close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(h.cfg); err == nil {
		t.Fatal("New accepted a server secret readable by others")
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(h.cfg); err == nil {
		t.Fatal("New accepted a malformed server secret")
	}
}
