package operator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// RotateKeys makes a new token-signing key current. Tokens signed by the
// previous key stay valid until they expire; a running server picks the
// new key up within a second (its keyring watches the file).
func RotateKeys(dir string, w io.Writer) error {
	if err := existingDataDir(dir); err != nil {
		return err
	}
	kr, err := auth.OpenKeyring(dir, time.Now, rand.Reader)
	if err != nil {
		return err
	}
	kid, err := kr.Rotate()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "new token-signing key %s; tokens signed by the previous key stay valid until they expire (at most %v)\n", kid, auth.MaxTokenLifetime)
	return err
}

// ShowTranscriptKey prints the public key that verifies the transcripts this
// data directory's server signs, in the hex form "blindjoin audit verify
// --server-key" takes. Auditors should get it from the operator out of band,
// not from the server they are auditing.
func ShowTranscriptKey(dir string, asJSON bool, w io.Writer) error {
	if err := existingDataDir(dir); err != nil {
		return err
	}
	pub, err := session.LoadTranscriptPublicKey(dir, rand.Reader)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, map[string]string{"transcript_public_key": hex.EncodeToString(pub)})
	}
	_, err = fmt.Fprintln(w, hex.EncodeToString(pub))
	return err
}
