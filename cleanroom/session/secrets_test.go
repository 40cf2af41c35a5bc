package session

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/keyfile"
)

// TestServerSecretOneForAll: services starting at once on one data
// directory agree on one secret, and a damaged secret file is refused, not
// replaced.
func TestServerSecretOneForAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), serverSecretFile)
	secrets := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range secrets {
		wg.Go(func() {
			var err error
			if secrets[i], err = loadOrCreateSecret(path, rand.Reader); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, s := range secrets[1:] {
		if len(s) != serverSecretSize || !bytes.Equal(s, secrets[0]) {
			t.Fatalf("secrets differ: %x and %x", secrets[0], s)
		}
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v, %v", info, err)
	}

	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSecret(path, rand.Reader); !errors.Is(err, keyfile.ErrMalformed) {
		t.Fatalf("damaged secret: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "short" {
		t.Fatal("a damaged secret was replaced")
	}
}

// TestOtherSecretsAreRefused: a second process on the same store with
// secrets of its own (a replica or worker started without the shared keys
// directory) is refused at start, rather than relaying and joining with
// another permutation and noise and signing with another key.
func TestOtherSecretsAreRefused(t *testing.T) {
	h := newHarness(t)
	same := h.cfg
	if _, err := New(same); err != nil {
		t.Fatalf("a second service with the same secrets: %v", err)
	}
	other := h.cfg
	other.DataDir = t.TempDir()
	if _, err := New(other); !errors.Is(err, ErrOtherSecrets) {
		t.Fatalf("a service with other secrets on the same store: %v, want ErrOtherSecrets", err)
	}
}
