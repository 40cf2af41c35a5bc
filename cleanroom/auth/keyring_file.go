package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The keyring file, DIR/keys/token-signing.json (mode 0600):
//
//	{
//	  "version": 1,
//	  "keys": [
//	    {"kid": "…", "seed": "…", "created": "2026-…Z", "retired": "2026-…Z"},
//	    {"kid": "…", "seed": "…", "created": "2026-…Z"}
//	  ]
//	}
//
// Keys are in creation order; the last one, and only it, has no "retired"
// time: it is the current signing key. "seed" is the RFC 8032 private key
// (32 bytes) in unpadded base64url, like a JWK's "d"; "kid" is derived from
// the public key (see keyID) and checked on load, so a hand-edited file
// cannot pair a kid with another key.

const (
	ringVersion = 1
	// maxRingKeys bounds the file. Retired keys are pruned about 16 minutes
	// after rotation, so reaching this takes dozens of rotations in a row.
	maxRingKeys = 64
)

var errRingFormat = errors.New("auth: malformed keyring file")

type ringFile struct {
	Version int       `json:"version"`
	Keys    []ringRec `json:"keys"`
}

type ringRec struct {
	KID     string     `json:"kid"`
	Seed    string     `json:"seed"`
	Created time.Time  `json:"created"`
	Retired *time.Time `json:"retired,omitempty"`
}

// ringKey is one signing key in memory.
type ringKey struct {
	kid     string
	priv    ed25519.PrivateKey
	pub     ed25519.PublicKey
	created time.Time
	retired time.Time // zero for the current key
}

var seedEncoding = base64.RawURLEncoding.Strict()

func newRingKey(seed []byte, created time.Time) ringKey {
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	return ringKey{kid: keyID(pub), priv: priv, pub: pub, created: created}
}

// keyID is the first 16 hex digits of SHA-256(public key): stable, derived
// from the key alone, and not a secret.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// decodeRing parses and checks a keyring file. Errors name the offending
// key by index, never by content.
func decodeRing(data []byte) ([]ringKey, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f ringFile
	if err := dec.Decode(&f); err != nil {
		// A syntax error's message quotes a character of the file; report
		// only where it is.
		if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
			return nil, fmt.Errorf("%w: JSON syntax error at byte %d", errRingFormat, se.Offset)
		}
		return nil, fmt.Errorf("%w: %v", errRingFormat, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", errRingFormat)
	}
	if f.Version != ringVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", errRingFormat, f.Version, ringVersion)
	}
	if len(f.Keys) == 0 || len(f.Keys) > maxRingKeys {
		return nil, fmt.Errorf("%w: %d keys, want 1 to %d", errRingFormat, len(f.Keys), maxRingKeys)
	}
	keys := make([]ringKey, 0, len(f.Keys))
	seen := make(map[string]bool, len(f.Keys))
	for i, r := range f.Keys {
		seed, err := seedEncoding.DecodeString(r.Seed)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("%w: key %d: seed is not %d bytes of base64url", errRingFormat, i, ed25519.SeedSize)
		}
		k := newRingKey(seed, r.Created)
		if r.KID != k.kid {
			return nil, fmt.Errorf("%w: key %d: kid does not match the key", errRingFormat, i)
		}
		if seen[k.kid] {
			return nil, fmt.Errorf("%w: key %d: duplicate key", errRingFormat, i)
		}
		seen[k.kid] = true
		if r.Created.IsZero() {
			return nil, fmt.Errorf("%w: key %d: no creation time", errRingFormat, i)
		}
		last := i == len(f.Keys)-1
		switch {
		case last && r.Retired != nil:
			return nil, fmt.Errorf("%w: the newest key is retired; no current key", errRingFormat)
		case !last && r.Retired == nil:
			return nil, fmt.Errorf("%w: key %d: only the newest key may be unretired", errRingFormat, i)
		case r.Retired != nil && r.Retired.Before(r.Created):
			return nil, fmt.Errorf("%w: key %d: retired before it was created", errRingFormat, i)
		case r.Retired != nil:
			k.retired = *r.Retired
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func encodeRing(keys []ringKey) ([]byte, error) {
	f := ringFile{Version: ringVersion, Keys: make([]ringRec, len(keys))}
	for i, k := range keys {
		f.Keys[i] = ringRec{KID: k.kid, Seed: seedEncoding.EncodeToString(k.priv.Seed()), Created: k.created}
		if !k.retired.IsZero() {
			f.Keys[i].Retired = &k.retired
		}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("auth: encode keyring: %w", err)
	}
	return append(data, '\n'), nil
}
