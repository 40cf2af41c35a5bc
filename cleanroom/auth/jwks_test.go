package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// jwksKIDs returns the kids of a JWKS in order, checking each entry's
// shape on the way.
func jwksKIDs(t *testing.T, data []byte) []string {
	t.Helper()
	kids := []string{}
	for _, k := range parseJWKS(t, data) {
		kids = append(kids, k["kid"])
	}
	return kids
}

// parseJWKS decodes a JWKS and checks that every key is an RFC 8037
// Ed25519 public key with exactly the expected members (no "d").
func parseJWKS(t *testing.T, data []byte) []map[string]string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatalf("JWKS is not JSON: %v", err)
	}
	for _, k := range set.Keys {
		members := slices.Sorted(maps.Keys(k))
		if !slices.Equal(members, []string{"alg", "crv", "kid", "kty", "use", "x"}) {
			t.Fatalf("JWK members %v", members)
		}
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" {
			t.Fatalf("JWK %v is not an Ed25519 signing key", k)
		}
	}
	return set.Keys
}

func TestJWKSVerifiesIssuedTokens(t *testing.T) {
	f := newFixture(t)
	old := f.issue(t, "acme", RoleAdvertiser)
	if _, err := f.kr.Rotate(); err != nil {
		t.Fatal(err)
	}
	fresh := f.issue(t, "acme", RoleAdvertiser)

	keys := parseJWKS(t, f.kr.JWKS())
	if len(keys) != 2 {
		t.Fatalf("JWKS has %d keys, want the previous and the current", len(keys))
	}
	// A third party verifying with nothing but the JWKS accepts both tokens.
	for _, tok := range []string{old, fresh} {
		kid := decodePart(t, tok, 0)["kid"].(string)
		i := slices.IndexFunc(keys, func(k map[string]string) bool { return k["kid"] == kid })
		if i < 0 {
			t.Fatalf("JWKS lacks kid %s", kid)
		}
		x, err := base64.RawURLEncoding.DecodeString(keys[i]["x"])
		if err != nil || len(x) != ed25519.PublicKeySize {
			t.Fatalf("bad x: %v", err)
		}
		dot := strings.LastIndexByte(tok, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(tok[dot+1:])
		if !ed25519.Verify(x, []byte(tok[:dot]), sig) {
			t.Fatalf("token does not verify under its JWKS key")
		}
	}
	if strings.Contains(string(f.kr.JWKS()), b64(f.currentKey(t).priv.Seed())) {
		t.Fatal("JWKS contains a private key")
	}
}
