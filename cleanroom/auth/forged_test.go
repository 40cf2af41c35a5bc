package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// forgeryScene is a keyring with a pruned key, a retired key and a current
// key, and real tokens from the last two.
type forgeryScene struct {
	*fixture
	pruned, previous, current ringKey
	prev, good                string // real tokens signed by previous and current
}

func newForgeryScene(t *testing.T) *forgeryScene {
	s := &forgeryScene{fixture: newFixture(t)}
	s.pruned = s.currentKey(t)
	if _, err := s.kr.Rotate(); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(keyRetention + 1)
	s.previous = s.currentKey(t)
	s.prev = s.issue(t, "acme", RoleMediaPartner)
	if _, err := s.kr.Rotate(); err != nil { // also prunes s.pruned from the file
		t.Fatal(err)
	}
	s.current = s.currentKey(t)
	s.good = s.issue(t, "acme", RoleMediaPartner)
	return s
}

// claims returns a valid claims set for now, with the given members
// replaced (or removed when the value is nil).
func (s *forgeryScene) claims(set ...any) map[string]any {
	now := s.clock.Now().Unix()
	c := map[string]any{
		"iss": testIssuer, "aud": []string{testAudience}, "sub": "acme",
		"role": RoleMediaPartner, "iat": now, "exp": now + 600, "jti": "forged-1",
	}
	return with(c, set...)
}

// header returns a valid EdDSA header naming the current key, edited like
// claims.
func (s *forgeryScene) header(set ...any) map[string]any {
	return with(map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": s.current.kid}, set...)
}

func with(m map[string]any, set ...any) map[string]any {
	m = maps.Clone(m)
	for i := 0; i < len(set); i += 2 {
		if set[i+1] == nil {
			delete(m, set[i].(string))
		} else {
			m[set[i].(string)] = set[i+1]
		}
	}
	return m
}

func segs(tok string) []string { return strings.Split(tok, ".") }

func hmacSigner(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

// libSigned signs claims with another algorithm through the JWT library,
// giving a token that is valid for that algorithm and key.
func libSigned(t *testing.T, method jwt.SigningMethod, key any, kid string, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, jwt.MapClaims(claims))
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRejectsForgedTokens(t *testing.T) {
	s := newForgeryScene(t)
	real := ed25519Signer(s.current.priv)
	// Control: the forging helpers make tokens Verify accepts when nothing
	// is wrong, so each case below fails for its own defect.
	for _, tok := range []string{s.good, s.prev, forge(s.header(), s.claims(), real)} {
		if _, err := s.auth.Verify(tok); err != nil {
			t.Fatalf("control token rejected: %v", err)
		}
	}

	pub := s.current.pub
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	stranger := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	g, p := segs(s.good), segs(s.prev)
	now := s.clock.Now().Unix()

	cases := []struct {
		name  string
		token string
		want  Reason
	}{
		// Shape.
		{"empty", "", ReasonMalformed},
		{"garbage", "not a token", ReasonMalformed},
		{"one segment", "abc", ReasonMalformed},
		{"two segments", g[0] + "." + g[1], ReasonMalformed},
		{"four segments", s.good + "." + g[2], ReasonMalformed},
		{"JSON instead of JWS", `{"alg":"EdDSA"}`, ReasonMalformed},
		{"header not base64", "!!." + g[1] + "." + g[2], ReasonMalformed},
		{"header not JSON", b64([]byte("EdDSA")) + "." + g[1] + "." + g[2], ReasonMalformed},
		{"padded signature", s.good + "==", ReasonMalformed},
		{"line break", g[0] + "." + g[1] + "." + g[2][:40] + "\n" + g[2][40:], ReasonMalformed},
		{"trailing newline", s.good + "\n", ReasonMalformed},
		{"leading space", " " + s.good, ReasonMalformed},
		{"huge", s.good + strings.Repeat("A", MaxTokenSize), ReasonTooLarge},
		{"one byte over the cap", strings.Repeat("A", MaxTokenSize+1), ReasonTooLarge},
		{"claims not an object", forge(s.header(), []int{1}, real), ReasonMalformed},
		{"exp not a number", forge(s.header(), s.claims("exp", "soon"), real), ReasonMalformed},
		{"role not a string", forge(s.header(), s.claims("role", 1), real), ReasonMalformed},

		// Algorithm confusion.
		{"alg none, no signature", forge(s.header("alg", "none"), s.claims(), noSignature), ReasonAlgorithm},
		{"alg none, real signature", forge(s.header("alg", "none"), s.claims(), real), ReasonAlgorithm},
		{"alg None", forge(s.header("alg", "None"), s.claims(), noSignature), ReasonAlgorithm},
		{"alg missing", forge(s.header("alg", nil), s.claims(), real), ReasonAlgorithm},
		{"alg empty", forge(s.header("alg", ""), s.claims(), real), ReasonAlgorithm},
		{"alg Ed25519", forge(s.header("alg", "Ed25519"), s.claims(), real), ReasonAlgorithm},
		{"HS256, raw public key as secret", forge(s.header("alg", "HS256"), s.claims(), hmacSigner(pub)), ReasonAlgorithm},
		{"HS256, PEM public key as secret", forge(s.header("alg", "HS256"), s.claims(), hmacSigner(pubPEM)), ReasonAlgorithm},
		{"HS256, JWK x as secret", forge(s.header("alg", "HS256"), s.claims(), hmacSigner([]byte(b64(pub)))), ReasonAlgorithm},
		{"HS256, JWKS as secret", forge(s.header("alg", "HS256"), s.claims(), hmacSigner(s.kr.JWKS())), ReasonAlgorithm},
		{"RS256", libSigned(t, jwt.SigningMethodRS256, rsaKey, s.current.kid, s.claims()), ReasonAlgorithm},
		{"PS256", libSigned(t, jwt.SigningMethodPS256, rsaKey, s.current.kid, s.claims()), ReasonAlgorithm},
		{"ES256", libSigned(t, jwt.SigningMethodES256, ecKey, s.current.kid, s.claims()), ReasonAlgorithm},

		// Keys.
		{"other key, current kid", forge(s.header(), s.claims(), ed25519Signer(stranger)), ReasonSignature},
		{"other key, previous kid", forge(s.header("kid", s.previous.kid), s.claims(), ed25519Signer(stranger)), ReasonSignature},
		{"unknown kid", forge(s.header("kid", keyID(stranger.Public().(ed25519.PublicKey))), s.claims(), ed25519Signer(stranger)), ReasonUnknownKey},
		{"missing kid", forge(s.header("kid", nil), s.claims(), real), ReasonUnknownKey},
		{"empty kid", forge(s.header("kid", ""), s.claims(), real), ReasonUnknownKey},
		{"kid not a string", forge(s.header("kid", 1), s.claims(), real), ReasonUnknownKey},
		{"kid with other case", forge(s.header("kid", strings.ToUpper(s.current.kid)), s.claims(), real), ReasonUnknownKey},
		{"pruned key, fresh claims", forge(s.header("kid", s.pruned.kid), s.claims(), ed25519Signer(s.pruned.priv)), ReasonUnknownKey},
		{"embedded jwk header", forge(s.header("kid", keyID(stranger.Public().(ed25519.PublicKey)), "jwk", map[string]string{"kty": "OKP", "crv": "Ed25519", "x": b64(stranger.Public().(ed25519.PublicKey))}), s.claims(), ed25519Signer(stranger)), ReasonUnknownKey},
		{"crit header", forge(s.header("crit", []string{"exp"}), s.claims(), real), ReasonHeader},

		// Tampering with a real token.
		{"kid switched to the previous key", b64FromMap(s.header("kid", s.previous.kid)) + "." + g[1] + "." + g[2], ReasonSignature},
		{"header member added", b64FromMap(s.header("cty", "JWT")) + "." + g[1] + "." + g[2], ReasonSignature},
		{"role escalated", g[0] + "." + b64FromMap(with(decodePart(t, s.good, 1), "role", RoleAdvertiser)) + "." + g[2], ReasonSignature},
		{"sub changed", g[0] + "." + b64FromMap(with(decodePart(t, s.good, 1), "sub", "rival")) + "." + g[2], ReasonSignature},
		{"exp extended", g[0] + "." + b64FromMap(with(decodePart(t, s.good, 1), "exp", now+3600)) + "." + g[2], ReasonSignature},
		{"signature of another token", g[0] + "." + g[1] + "." + p[2], ReasonSignature},
		{"previous token, current kid", b64FromMap(s.header()) + "." + p[1] + "." + p[2], ReasonSignature},
		{"empty signature", g[0] + "." + g[1] + ".", ReasonSignature},
		{"truncated signature", g[0] + "." + g[1] + "." + g[2][:len(g[2])-2], ReasonSignature},
		{"signature twice", g[0] + "." + g[1] + "." + g[2] + g[2], ReasonSignature},

		// Claims, under a real signature: the checks themselves must hold.
		{"expired beyond the leeway", forge(s.header(), s.claims("iat", now-600, "exp", now-31), real), ReasonExpired},
		{"expired exactly at the leeway", forge(s.header(), s.claims("iat", now-600, "exp", now-30), real), ReasonExpired},
		{"iat in the future", forge(s.header(), s.claims("iat", now+31, "exp", now+600), real), ReasonNotYetValid},
		{"nbf in the future", forge(s.header(), s.claims("nbf", now+60), real), ReasonNotYetValid},
		{"missing exp", forge(s.header(), s.claims("exp", nil), real), ReasonMissingClaim},
		{"missing iat", forge(s.header(), s.claims("iat", nil), real), ReasonMissingClaim},
		{"missing sub", forge(s.header(), s.claims("sub", nil), real), ReasonMissingClaim},
		{"empty sub", forge(s.header(), s.claims("sub", ""), real), ReasonMissingClaim},
		{"missing jti", forge(s.header(), s.claims("jti", nil), real), ReasonMissingClaim},
		{"missing iss", forge(s.header(), s.claims("iss", nil), real), ReasonMissingClaim},
		{"wrong iss", forge(s.header(), s.claims("iss", "https://evil.example"), real), ReasonIssuer},
		{"iss with other case", forge(s.header(), s.claims("iss", strings.ToUpper(testIssuer)), real), ReasonIssuer},
		{"missing aud", forge(s.header(), s.claims("aud", nil), real), ReasonMissingClaim},
		{"empty aud", forge(s.header(), s.claims("aud", []string{}), real), ReasonMissingClaim},
		{"wrong aud", forge(s.header(), s.claims("aud", []string{"other-api"}), real), ReasonAudience},
		{"wrong aud as string", forge(s.header(), s.claims("aud", "other-api"), real), ReasonAudience},
		{"missing role", forge(s.header(), s.claims("role", nil), real), ReasonRole},
		{"unknown role", forge(s.header(), s.claims("role", "admin"), real), ReasonRole},
		{"role with other case", forge(s.header(), s.claims("role", "Advertiser"), real), ReasonRole},
		{"lifetime over the cap", forge(s.header(), s.claims("exp", now+int64(MaxTokenLifetime.Seconds())+1), real), ReasonLifetime},
		{"exp before iat", forge(s.header(), s.claims("iat", now, "exp", now-1), real), ReasonLifetime},
	}
	for _, tc := range cases {
		claims, err := s.auth.Verify(tc.token)
		wantDenied(t, tc.name, tc.token, err, tc.want)
		if claims != (Claims{}) {
			t.Errorf("%s: claims returned with an error", tc.name)
		}
	}
}

func b64FromMap(m map[string]any) string {
	return strings.Split(forge(m, nil, noSignature), ".")[0]
}

// TestVerifyRejectsEveryBitFlip flips every bit of the signature, and
// replaces every character of the token with every other base64url
// character: no variant may verify.
func TestVerifyRejectsEveryBitFlip(t *testing.T) {
	s := newForgeryScene(t)
	g := segs(s.good)
	sig, _ := b64Decode(g[2])
	for i := range sig {
		for bit := range 8 {
			bad := append([]byte(nil), sig...)
			bad[i] ^= 1 << bit
			tok := g[0] + "." + g[1] + "." + b64(bad)
			if _, err := s.auth.Verify(tok); err == nil {
				t.Fatalf("signature with byte %d bit %d flipped accepted", i, bit)
			}
		}
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range len(s.good) {
		if s.good[i] == '.' {
			continue
		}
		// Every replacement at the last signature position covers the
		// padding-bit respellings; elsewhere a few replacements suffice.
		repl := alphabet
		if i != len(s.good)-1 {
			repl = alphabet[(i*7)%60 : (i*7)%60+4]
		}
		for _, c := range []byte(repl) {
			if c == s.good[i] {
				continue
			}
			tok := s.good[:i] + string(c) + s.good[i+1:]
			if _, err := s.auth.Verify(tok); err == nil {
				t.Fatalf("token with character %d changed to %q accepted", i, c)
			}
		}
	}
}

func b64Decode(s string) ([]byte, error) { return jwt.NewParser().DecodeSegment(s) }
