package auth

import (
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/golang-jwt/jwt/v5"
)

// Claims is what a verified access token says about its bearer.
type Claims struct {
	Party     string   // the "sub" claim: the registered party
	Role      api.Role // one of the Role constants
	KeyID     string   // "kid" of the key that signed the token
	TokenID   string   // "jti", unique per token, for audit logs
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// tokenClaims is the JSON claims set of an access token.
type tokenClaims struct {
	jwt.RegisteredClaims
	Role string `json:"role"`
}
