// Package auth authenticates the parties of the clean room.
//
// A party holds a long-lived API key, registered by the operator, and
// exchanges it for a short-lived access token that every other request
// carries:
//
//	party                              clean room
//	  |-- POST /v1/auth/token {api_key} -->| HashAPIKey, look the hash up
//	  |<-- access token (EdDSA JWT, <=15m) |  Authority.Issue(party, role)
//	  |-- Authorization: Bearer <token> -->| Authority.Verify -> Claims
//
// API keys ("bjk_" + 32 random bytes, base64url) are stored only as their
// SHA-256 hash. Access tokens are JWTs (RFC 7519) signed with Ed25519
// (RFC 8037, "EdDSA"), so verifiers need only public keys, which the
// service publishes as a JWKS (RFC 7517). Signing keys live in a Keyring
// persisted under the data directory; rotating it adds a new current key
// and keeps the previous ones verifiable until every token they signed has
// expired.
//
// Verification is default-deny: one algorithm (EdDSA), a key chosen by the
// token's "kid" among the keyring's own keys and nothing else (no "jku",
// "jwk" or "x5u" lookups), issuer, audience, expiry, issued-at, subject,
// role and lifetime all required. Every failure wraps ErrUnauthenticated;
// the *Error it comes as carries a fixed Reason for logs and metrics and
// never any part of the token.
//
// This is the only package of the module that imports the JWT library, so
// its configuration (allowed algorithms, leeway, required claims) is
// reviewed in one place.
package auth
