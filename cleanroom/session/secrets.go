package session

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/blindjoin/blindjoin/cleanroom/keyfile"
)

// File names under Config.DataDir.
const (
	serverSecretFile  = "server-secret"
	serverSecretLock  = "server-secret.lock"
	transcriptKeyFile = "transcript-signing.pem"
)

// serverSecretSize is the length of the server secret.
const serverSecretSize = 32

// loadKeys loads the server secret and the transcript signing key from
// dataDir, creating each on first start.
//
// The server secret keys the relay permutations (with each session's seed)
// and the differential-privacy noise (with the part digests): without it a
// copy of the database reveals neither the permutation nor the noise.
func loadKeys(dataDir string, rand io.Reader) ([]byte, ed25519.PrivateKey, error) {
	secret, err := loadOrCreateSecret(filepath.Join(dataDir, serverSecretFile), filepath.Join(dataDir, serverSecretLock), rand)
	if err != nil {
		return nil, nil, err
	}
	key, _, err := keyfile.LoadOrCreateEd25519(filepath.Join(dataDir, transcriptKeyFile), rand)
	if err != nil {
		return nil, nil, fmt.Errorf("session: transcript signing key: %w", err)
	}
	return secret, key, nil
}

// loadOrCreateSecret reads the raw 32-byte secret at path, or creates it.
// keyfile has no exclusive create for raw secrets, so a lock file makes two
// processes starting at once agree on one secret.
func loadOrCreateSecret(path, lockPath string, rand io.Reader) ([]byte, error) {
	unlock, err := keyfile.Lock(lockPath)
	if err != nil {
		return nil, fmt.Errorf("session: server secret: %w", err)
	}
	defer unlock()
	secret, err := keyfile.ReadFile(path)
	switch {
	case err == nil:
		if len(secret) != serverSecretSize {
			return nil, fmt.Errorf("session: server secret %s: %w: want %d bytes", path, keyfile.ErrMalformed, serverSecretSize)
		}
		return secret, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("session: server secret: %w", err)
	}
	secret = make([]byte, serverSecretSize)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return nil, fmt.Errorf("session: generate server secret: %w", err)
	}
	if err := keyfile.WriteFileAtomic(path, secret, 0o600); err != nil {
		return nil, fmt.Errorf("session: server secret: %w", err)
	}
	return secret, nil
}

// LoadTranscriptPublicKey returns the public half of the transcript signing
// key kept under dataDir, creating the key if the service has not run there
// yet, so an operator can publish it to auditors before the first session.
func LoadTranscriptPublicKey(dataDir string, rand io.Reader) (ed25519.PublicKey, error) {
	key, _, err := keyfile.LoadOrCreateEd25519(filepath.Join(dataDir, transcriptKeyFile), rand)
	if err != nil {
		return nil, fmt.Errorf("session: transcript signing key: %w", err)
	}
	return key.Public().(ed25519.PublicKey), nil
}
