package auth

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// Verify checks an access token and returns its claims. Any failure is an
// *Error wrapping ErrUnauthenticated; its Reason is for logs only.
func (a *Authority) Verify(token string) (Claims, error) {
	if len(token) > MaxTokenSize {
		return Claims{}, deny(ReasonTooLarge)
	}
	if !tokenAlphabet(token) {
		return Claims{}, deny(ReasonMalformed)
	}
	var c tokenClaims
	t, err := a.parser.ParseWithClaims(token, &c, a.keyFor)
	if err != nil {
		return Claims{}, deny(reasonFor(err))
	}
	// The parser has checked the signature, iss, aud, and exp and iat when
	// present; what follows it does not require.
	switch {
	case c.Subject == "" || c.IssuedAt == nil || c.ID == "":
		return Claims{}, deny(ReasonMissingClaim)
	case c.ExpiresAt.Before(c.IssuedAt.Time) || c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxTokenLifetime:
		return Claims{}, deny(ReasonLifetime)
	}
	role, err := ParseRole(c.Role)
	if err != nil {
		return Claims{}, deny(ReasonRole)
	}
	kid, _ := t.Header["kid"].(string) // keyFor accepted only a string
	return Claims{
		Party:     c.Subject,
		Role:      role,
		KeyID:     kid,
		TokenID:   c.ID,
		IssuedAt:  c.IssuedAt.Time,
		ExpiresAt: c.ExpiresAt.Time,
	}, nil
}

// tokenAlphabet reports whether s uses only the characters of a compact JWS:
// base64url and dots. The base64 decoder skips CR and LF, so without this a
// token with a line break inserted would be accepted as a second spelling.
func tokenAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// keyFor picks the verification key named by the token's "kid" among the
// keyring's keys. Headers that would change how the token is processed
// ("crit", RFC 7515 section 4.1.11) are refused; key-locating headers such
// as "jku", "jwk" and "x5u" are never consulted.
func (a *Authority) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, deny(ReasonHeader)
	}
	kid, ok := t.Header["kid"].(string)
	if !ok {
		return nil, deny(ReasonUnknownKey)
	}
	return a.kr.verificationKey(kid)
}

// reasonFor maps a parser error to a Reason. The parser can report several
// claim failures at once; the first match in this order wins.
func reasonFor(err error) Reason {
	if e := (*Error)(nil); errors.As(err, &e) {
		return e.Reason // from keyFor
	}
	for _, m := range []struct {
		err    error
		reason Reason
	}{
		{jwt.ErrTokenMalformed, ReasonMalformed},
		{jwt.ErrTokenUnverifiable, ReasonAlgorithm}, // alg missing or unknown
		{jwt.ErrEd25519Verification, ReasonSignature},
		{jwt.ErrTokenSignatureInvalid, ReasonAlgorithm}, // alg not in WithValidMethods
		{jwt.ErrTokenExpired, ReasonExpired},
		{jwt.ErrTokenUsedBeforeIssued, ReasonNotYetValid},
		{jwt.ErrTokenNotValidYet, ReasonNotYetValid},
		{jwt.ErrTokenInvalidIssuer, ReasonIssuer},
		{jwt.ErrTokenInvalidAudience, ReasonAudience},
		{jwt.ErrTokenRequiredClaimMissing, ReasonMissingClaim},
	} {
		if errors.Is(err, m.err) {
			return m.reason
		}
	}
	return ReasonInvalidClaims
}
