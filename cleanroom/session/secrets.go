package session

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/blindjoin/blindjoin/cleanroom/keyfile"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

// File names under Config.DataDir.
const (
	serverSecretFile  = "server-secret"
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
	secret, err := loadOrCreateSecret(filepath.Join(dataDir, serverSecretFile), rand)
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
// The file is created exclusively, complete before its name appears, so two
// processes starting at once agree on one secret: the one that loses the
// race reads the winner's.
func loadOrCreateSecret(path string, rand io.Reader) ([]byte, error) {
	secret, err := readSecret(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return secret, err
	}
	secret = make([]byte, serverSecretSize)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return nil, fmt.Errorf("session: generate server secret: %w", err)
	}
	err = atomicfile.CreateExclusive(path, secret, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readSecret(path)
	}
	if err != nil {
		return nil, fmt.Errorf("session: server secret: %w", err)
	}
	return secret, nil
}

// readSecret reads the server secret at path; an error wraps
// fs.ErrNotExist when there is none yet.
func readSecret(path string) ([]byte, error) {
	secret, err := keyfile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("session: server secret: %w", err)
	}
	if len(secret) != serverSecretSize {
		return nil, fmt.Errorf("session: server secret %s: %w: want %d bytes", path, keyfile.ErrMalformed, serverSecretSize)
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

// InitKeys creates, in dir, the server secret and the transcript signing
// key that New would create on first start, keeping any that exist: the
// keys directory that every replica of a cluster reads must hold them
// before the replicas start, or each would race to create its own.
func InitKeys(dir string, rand io.Reader) error {
	_, _, err := loadKeys(dir, rand)
	return err
}

// secretsSetting names the store setting that holds the fingerprint of the
// secrets the store's sessions were made with.
const secretsSetting = "secrets_fingerprint_v1"

// fingerprintLabel separates the fingerprint from every other use of the
// server secret.
const fingerprintLabel = "blindjoin-secrets-fingerprint-v1"

// ErrOtherSecrets reports a process whose server secret or transcript key
// are not those the store was set up with.
var ErrOtherSecrets = errors.New("session: the server secret or the transcript key differ from those this store was set up with")

// checkSecrets binds the store to this process's secrets on first use and
// refuses a process with other ones. Every process that serves or runs
// jobs derives relay permutations and noise from the server secret and
// signs transcripts with the key: a replica or worker started with fresh
// secrets (a forgotten --keys) would release wrong results under another
// signature without any error. The fingerprint is an HMAC of a fixed label
// under the secret, and the transcript public key, neither of which tells
// anything about the secret.
func (s *Service) checkSecrets(ctx context.Context) error {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(fingerprintLabel))
	fp := append(m.Sum(nil), s.TranscriptPublicKey()...)
	return s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		stored, err := tx.Setting(ctx, secretsSetting)
		if errors.Is(err, store.ErrNotFound) {
			return tx.AddSetting(ctx, secretsSetting, fp)
		}
		if err != nil {
			return fmt.Errorf("session: secrets fingerprint: %w", err)
		}
		if !hmac.Equal(stored, fp) {
			return fmt.Errorf("%w: start it with the keys directory (--keys) or data directory that the other replicas use", ErrOtherSecrets)
		}
		return nil
	})
}
