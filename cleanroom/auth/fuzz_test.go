package auth

import (
	"errors"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// FuzzVerify mutates real tokens: Verify must never panic, must reject
// with an *Error wrapping ErrUnauthenticated, and may accept only a token
// exactly as Issue produced it.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	issued := map[string]bool{}
	add := func(party string, role api.Role) {
		tok := fx.issue(f, party, role)
		issued[tok] = true
		f.Add(tok)
	}
	add("acme", RoleAdvertiser)
	add("media", RoleMediaPartner)
	add("audit", RoleAuditor)
	if _, err := fx.kr.Rotate(); err != nil {
		f.Fatal(err)
	}
	add("acme", RoleAdvertiser)

	real := ed25519Signer(fx.currentKey(f).priv)
	now := fx.clock.Now().Unix()
	claims := map[string]any{"iss": testIssuer, "aud": testAudience, "sub": "acme", "role": "admin", "iat": now, "exp": now + 60, "jti": "x"}
	header := map[string]any{"alg": "EdDSA", "kid": fx.currentKey(f).kid}
	f.Add(forge(header, claims, real))
	f.Add(forge(with(header, "alg", "none"), with(claims, "role", RoleAdvertiser), noSignature))
	f.Add(forge(with(header, "alg", "HS256"), with(claims, "role", RoleAdvertiser), hmacSigner(fx.currentKey(f).pub)))
	for tok := range issued {
		f.Add(strings.ToUpper(tok))
		f.Add(tok[:len(tok)-1])
	}
	f.Add("")
	f.Add("..")

	f.Fuzz(func(t *testing.T, token string) {
		claims, err := fx.auth.Verify(token)
		if err == nil {
			if !issued[token] {
				t.Fatalf("accepted a token Issue did not produce: %q", token)
			}
			if claims.Party == "" || claims.Role == "" {
				t.Fatalf("accepted with empty claims")
			}
			return
		}
		var e *Error
		if !errors.Is(err, ErrUnauthenticated) || !errors.As(err, &e) || e.Reason == "" {
			t.Fatalf("error %v is not an *Error with a reason", err)
		}
	})
}
