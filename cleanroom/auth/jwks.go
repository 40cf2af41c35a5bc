package auth

import (
	"encoding/base64"
	"encoding/json"
)

// jwk is an Ed25519 public key as RFC 8037 section 2 writes it.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS returns the JSON Web Key Set (RFC 7517) of the keys that verify
// tokens now: the current key and the retired ones still in retention,
// oldest first. It holds public keys only, and no keys while the keyring
// file cannot be loaded.
func (k *Keyring) JWKS() []byte {
	keys := k.verificationKeys()
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, len(keys))}
	for i, key := range keys {
		set.Keys[i] = jwk{
			Kty: "OKP",
			Crv: "Ed25519",
			X:   base64.RawURLEncoding.EncodeToString(key.pub),
			Kid: key.kid,
			Alg: "EdDSA",
			Use: "sig",
		}
	}
	// Marshalling strings cannot fail.
	data, _ := json.Marshal(set)
	return data
}
