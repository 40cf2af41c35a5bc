package operator

import (
	"crypto/ed25519"
	"crypto/rand"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// RotateKeys makes a new token-signing key current and returns its key id.
// Tokens signed by the previous key stay valid until they expire (at most
// auth.MaxTokenLifetime); a running server picks the new key up within a
// second (its keyring watches the file).
func RotateKeys(dir string) (kid string, err error) {
	if err := existingDataDir(dir); err != nil {
		return "", err
	}
	kr, err := auth.OpenKeyring(dir, time.Now, rand.Reader)
	if err != nil {
		return "", err
	}
	return kr.Rotate()
}

// TranscriptKey returns the public key that verifies the transcripts this
// data directory's server signs. Auditors should get it from the operator
// out of band, not from the server they are auditing.
func TranscriptKey(dir string) (ed25519.PublicKey, error) {
	if err := existingDataDir(dir); err != nil {
		return nil, err
	}
	return session.LoadTranscriptPublicKey(dir, rand.Reader)
}
