package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
	"github.com/blindjoin/blindjoin/protocol/api"
)

func TestIssueAndVerify(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(700 * time.Millisecond) // iat is rounded down to the second
	tok, expiresIn, err := f.auth.Issue("acme-media", RoleMediaPartner)
	if err != nil {
		t.Fatal(err)
	}
	if want := testTTL - 700*time.Millisecond; expiresIn != want {
		t.Errorf("expiresIn %v, want %v", expiresIn, want)
	}
	kid := f.currentKey(t).kid

	// The token as a third party reads it.
	h := decodePart(t, tok, 0)
	if len(h) != 3 || h["alg"] != "EdDSA" || h["typ"] != "JWT" || h["kid"] != kid {
		t.Errorf("header %v", h)
	}
	c := decodePart(t, tok, 1)
	iat := float64(t0.Unix())
	if c["iss"] != testIssuer || c["sub"] != "acme-media" || c["role"] != string(RoleMediaPartner) ||
		c["iat"] != iat || c["exp"] != iat+testTTL.Seconds() {
		t.Errorf("claims %v", c)
	}
	if aud, _ := c["aud"].([]any); len(aud) != 1 || aud[0] != testAudience {
		t.Errorf("aud %v", c["aud"])
	}
	jti, _ := base64.RawURLEncoding.DecodeString(c["jti"].(string))
	if len(jti) != 16 {
		t.Errorf("jti is %d bytes, want 16", len(jti))
	}
	if len(c) != 7 {
		t.Errorf("claims have %d members, want 7: %v", len(c), c)
	}

	got, err := f.auth.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{
		Party:     "acme-media",
		Role:      RoleMediaPartner,
		KeyID:     kid,
		TokenID:   c["jti"].(string),
		IssuedAt:  t0,
		ExpiresAt: t0.Add(testTTL),
	}
	if !got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("times %v..%v, want %v..%v", got.IssuedAt, got.ExpiresAt, want.IssuedAt, want.ExpiresAt)
	}
	got.IssuedAt, got.ExpiresAt, want.IssuedAt, want.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("claims %+v, want %+v", got, want)
	}

	other := f.issue(t, "acme-media", RoleMediaPartner)
	if decodePart(t, other, 1)["jti"] == c["jti"] {
		t.Error("two tokens share a jti")
	}
}

func TestIssueRejectsBadInput(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		party string
		role  api.Role
	}{
		{"", RoleAdvertiser},
		{strings.Repeat("p", maxNameLen+1), RoleAdvertiser},
		{"acme\xff", RoleAdvertiser},
		{"acme", ""},
		{"acme", "admin"},
	} {
		if _, _, err := f.auth.Issue(tc.party, tc.role); err == nil {
			t.Errorf("Issue(%q, %q) succeeded", tc.party, tc.role)
		}
	}
	if _, _, err := f.auth.Issue("acme", "admin"); !errors.Is(err, ErrUnknownRole) {
		t.Errorf("unknown role: err = %v", err)
	}
	// The longest party still gives a token under the verifier's cap.
	tok := f.issue(t, strings.Repeat("p", maxNameLen), RoleMediaPartner)
	if _, err := f.auth.Verify(tok); err != nil || len(tok) > MaxTokenSize/2 {
		t.Fatalf("longest party: %d bytes, %v", len(tok), err)
	}
}

func TestNewAuthority(t *testing.T) {
	f := newFixture(t)
	now, rnd := f.clock.Now, testRand(4)
	bad := map[string]func() (*Authority, error){
		"nil keyring":    func() (*Authority, error) { return NewAuthority(nil, testIssuer, testAudience, testTTL, now, rnd) },
		"nil clock":      func() (*Authority, error) { return NewAuthority(f.kr, testIssuer, testAudience, testTTL, nil, rnd) },
		"nil rand":       func() (*Authority, error) { return NewAuthority(f.kr, testIssuer, testAudience, testTTL, now, nil) },
		"empty issuer":   func() (*Authority, error) { return NewAuthority(f.kr, "", testAudience, testTTL, now, rnd) },
		"empty audience": func() (*Authority, error) { return NewAuthority(f.kr, testIssuer, "", testTTL, now, rnd) },
		"zero ttl":       func() (*Authority, error) { return NewAuthority(f.kr, testIssuer, testAudience, 0, now, rnd) },
		"sub-second ttl": func() (*Authority, error) {
			return NewAuthority(f.kr, testIssuer, testAudience, time.Millisecond, now, rnd)
		},
	}
	for name, mk := range bad {
		if _, err := mk(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}

	long, err := NewAuthority(f.kr, testIssuer, testAudience, time.Hour, now, rnd)
	if err != nil {
		t.Fatal(err)
	}
	tok, expiresIn, err := long.Issue("acme", RoleAdvertiser)
	if err != nil {
		t.Fatal(err)
	}
	c := decodePart(t, tok, 1)
	if lifetime := c["exp"].(float64) - c["iat"].(float64); lifetime != MaxTokenLifetime.Seconds() || expiresIn != MaxTokenLifetime {
		t.Fatalf("ttl of 1h gave a %vs token (expiresIn %v), want capped at %v", lifetime, expiresIn, MaxTokenLifetime)
	}
}

func TestVerifyExpiryLeeway(t *testing.T) {
	f := newFixture(t)
	tok := f.issue(t, "acme", RoleAdvertiser)
	f.clock.Advance(testTTL + Leeway - time.Second)
	if _, err := f.auth.Verify(tok); err != nil {
		t.Fatalf("%v past exp, within the leeway: %v", Leeway-time.Second, err)
	}
	f.clock.Advance(time.Second)
	_, err := f.auth.Verify(tok)
	wantDenied(t, "exp + leeway", tok, err, ReasonExpired)
}

func TestVerifyIssuedAtLeeway(t *testing.T) {
	// A token from an issuer whose clock runs ahead of the verifier's.
	f := newFixture(t)
	for _, tc := range []struct {
		ahead time.Duration
		ok    bool
	}{{Leeway - time.Second, true}, {Leeway, true}, {Leeway + time.Second, false}} {
		ahead := testkit.NewClock(t0)
		ahead.Advance(tc.ahead)
		issuer, err := NewAuthority(f.kr, testIssuer, testAudience, testTTL, ahead.Now, testRand(6))
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := issuer.Issue("acme", RoleAdvertiser)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.auth.Verify(tok)
		if tc.ok && err != nil {
			t.Errorf("iat %v ahead: %v", tc.ahead, err)
		}
		if !tc.ok {
			wantDenied(t, "iat ahead", tok, err, ReasonNotYetValid)
		}
	}
}

func TestVerifyAfterRotation(t *testing.T) {
	f := newFixture(t)
	old := f.issue(t, "acme", RoleAdvertiser)
	oldKID := f.currentKey(t).kid
	newKID, err := f.kr.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	fresh := f.issue(t, "acme", RoleAdvertiser)
	if decodePart(t, fresh, 0)["kid"] != newKID {
		t.Fatal("a token issued after rotation is not signed by the new key")
	}
	for name, tok := range map[string]string{"previous key": old, "current key": fresh} {
		if _, err := f.auth.Verify(tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := jwksKIDs(t, f.kr.JWKS()); len(got) != 2 || got[0] != oldKID || got[1] != newKID {
		t.Fatalf("JWKS kids %v, want [%s %s]", got, oldKID, newKID)
	}
}
