package operator

import (
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
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
