package auth

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
	"github.com/blindjoin/blindjoin/protocol/api"
)

const (
	testIssuer   = "https://cleanroom.example"
	testAudience = "blindjoin-api"
	testTTL      = 10 * time.Minute
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testRand is deterministic randomness for single-goroutine tests.
func testRand(seed byte) io.Reader { return rand.NewChaCha8([32]byte{seed}) }

type fixture struct {
	dir   string
	clock *testkit.Clock
	kr    *Keyring
	auth  *Authority
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), clock: testkit.NewClock(t0)}
	var err error
	if f.kr, err = OpenKeyring(f.dir, f.clock.Now, testRand(1)); err != nil {
		t.Fatal(err)
	}
	if f.auth, err = NewAuthority(f.kr, testIssuer, testAudience, testTTL, f.clock.Now, testRand(2)); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) issue(t testing.TB, party string, role api.Role) string {
	t.Helper()
	tok, _, err := f.auth.Issue(party, role)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) currentKey(t testing.TB) ringKey {
	t.Helper()
	k, err := f.kr.signingKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// forge builds a compact JWS by hand, without the JWT library, so tests
// control every byte: header and claims are JSON-encoded, and sign gets the
// signing input.
func forge(header, claims any, sign func(input []byte) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	return input + "." + b64(sign([]byte(input)))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func ed25519Signer(priv ed25519.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte { return ed25519.Sign(priv, input) }
}

func noSignature([]byte) []byte { return nil }

// decodePart JSON-decodes segment i (0 header, 1 claims) of a token.
func decodePart(t testing.TB, token string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// wantDenied checks that err is an *Error with reason want that wraps
// ErrUnauthenticated and does not quote the token.
func wantDenied(t testing.TB, name, token string, err error, want Reason) {
	t.Helper()
	var e *Error
	switch {
	case err == nil:
		t.Errorf("%s: accepted", name)
	case !errors.Is(err, ErrUnauthenticated) || !errors.As(err, &e):
		t.Errorf("%s: err = %v, want *Error wrapping ErrUnauthenticated", name, err)
	case e.Reason != want:
		t.Errorf("%s: reason %q, want %q", name, e.Reason, want)
	case len(token) > 8 && strings.Contains(err.Error(), token[len(token)-8:]):
		t.Errorf("%s: error quotes the token", name)
	}
}
