package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/blindjoin/blindjoin/internal/atomicfile"
)

const pemType = "PRIVATE KEY"

// LoadOrCreateEd25519 loads the Ed25519 private key stored at path, or, if
// there is no file there, generates one from rand and creates the file with
// mode 0600. created reports whether this call wrote the file. When several
// processes race on a missing file, exactly one creates it and the others
// return its key. The parent directory must exist.
func LoadOrCreateEd25519(path string, rand io.Reader) (key ed25519.PrivateKey, created bool, err error) {
	key, err = loadEd25519(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	_, key, err = ed25519.GenerateKey(rand)
	if err != nil {
		return nil, false, fmt.Errorf("keyfile: generate key for %s: %w", path, err)
	}
	data, err := encodeEd25519(key)
	if err != nil {
		return nil, false, err
	}
	err = atomicfile.CreateExclusive(path, data, 0o600)
	if errors.Is(err, fs.ErrExist) {
		key, err = loadEd25519(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return key, true, nil
}

func loadEd25519(path string) (ed25519.PrivateKey, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := parseEd25519(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return key, nil
}

// encodeEd25519 returns the canonical file form of key: one PEM "PRIVATE
// KEY" block of PKCS #8 DER, 64-column base64, ending in a newline.
func encodeEd25519(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("keyfile: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), nil
}

// parseEd25519 parses the output of encodeEd25519 and nothing else: any
// other PEM type, PEM headers, text around the block, another line layout,
// another key type or a non-canonical DER encoding is rejected. A single
// accepted form means a file cannot carry something the service ignores.
func parseEd25519(data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != pemType {
		return nil, fmt.Errorf("%w: want a PEM %q block", ErrMalformed, pemType)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: not a PKCS #8 private key", ErrMalformed)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: not an Ed25519 key", ErrMalformed)
	}
	canonical, err := encodeEd25519(key)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(data, canonical) {
		return nil, fmt.Errorf("%w: not in canonical PEM form (regenerate with openssl genpkey -algorithm ed25519)", ErrMalformed)
	}
	return key, nil
}
