package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/golang-jwt/jwt/v5"
)

const (
	// MaxTokenSize is the longest token Verify parses. Issued tokens are
	// well under 1 KiB; the cap bounds the work an unauthenticated caller
	// can cause.
	MaxTokenSize = 4096
	// maxNameLen bounds the party, issuer and audience strings, which keeps
	// issued tokens far below MaxTokenSize.
	maxNameLen = 256
	jtiBytes   = 16
)

// Authority issues and verifies access tokens. It is safe for concurrent
// use if its rand is (crypto/rand.Reader is).
type Authority struct {
	kr               *Keyring
	issuer, audience string
	ttl              time.Duration
	now              func() time.Time
	rand             io.Reader
	parser           *jwt.Parser
}

// NewAuthority returns an Authority that signs with kr's current key.
// Tokens carry the given issuer ("iss") and audience ("aud") and live for
// ttl, rounded down to whole seconds (the precision of JWT times) and
// capped at MaxTokenLifetime. rand supplies token IDs.
func NewAuthority(kr *Keyring, issuer, audience string, ttl time.Duration, now func() time.Time, rand io.Reader) (*Authority, error) {
	switch {
	case kr == nil || now == nil || rand == nil:
		return nil, errors.New("auth: NewAuthority: nil keyring, clock or rand")
	case !validName(issuer) || !validName(audience):
		return nil, fmt.Errorf("auth: NewAuthority: issuer and audience must be 1 to %d bytes of UTF-8", maxNameLen)
	}
	ttl = min(ttl, MaxTokenLifetime).Truncate(time.Second)
	if ttl <= 0 {
		return nil, errors.New("auth: NewAuthority: ttl must be at least one second")
	}
	return &Authority{
		kr:       kr,
		issuer:   issuer,
		audience: audience,
		ttl:      ttl,
		now:      now,
		rand:     rand,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(audience),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(Leeway),
			jwt.WithTimeFunc(now),
			// Unpadded, canonical base64url only, so that a token has one
			// spelling and a signature cannot be re-encoded into a second
			// accepted string.
			jwt.WithStrictDecoding(),
		),
	}, nil
}

func validName(s string) bool {
	return s != "" && len(s) <= maxNameLen && utf8.ValidString(s)
}

// Issue returns a signed access token for party acting as role, and the
// time until it expires.
func (a *Authority) Issue(party string, role api.Role) (token string, expiresIn time.Duration, err error) {
	if !validName(party) {
		return "", 0, fmt.Errorf("auth: issue: party must be 1 to %d bytes of UTF-8", maxNameLen)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return "", 0, fmt.Errorf("auth: issue: %w", err)
	}
	var jti [jtiBytes]byte
	if _, err := io.ReadFull(a.rand, jti[:]); err != nil {
		return "", 0, fmt.Errorf("auth: issue: token id: %w", err)
	}
	key, err := a.kr.signingKey()
	if err != nil {
		return "", 0, err
	}
	now := a.now()
	iat := jwt.NewNumericDate(now) // whole seconds
	exp := jwt.NewNumericDate(iat.Add(a.ttl))
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    a.issuer,
			Subject:   party,
			Audience:  jwt.ClaimStrings{a.audience},
			ExpiresAt: exp,
			IssuedAt:  iat,
			ID:        base64.RawURLEncoding.EncodeToString(jti[:]),
		},
		Role: string(role),
	})
	t.Header["kid"] = key.kid
	token, err = t.SignedString(key.priv)
	if err != nil {
		return "", 0, fmt.Errorf("auth: issue: sign: %w", err)
	}
	return token, exp.Sub(now), nil
}
