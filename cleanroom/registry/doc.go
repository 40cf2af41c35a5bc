// Package registry is the clean room's list of parties: the advertisers,
// media partners and auditors the operator has registered, each with one
// API key.
//
// The operator adds a party (Add returns its API key exactly once; only the
// key's SHA-256 is stored), lists and revokes parties. The HTTP layer
// authenticates a token request with Authenticate and, on every later
// request, checks with Active that the party behind an access token has not
// been revoked since the token was issued, so revocation takes effect at
// once rather than when tokens expire.
//
// Party names are lowercase identifiers (^[a-z0-9][a-z0-9_.-]{0,63}$): they
// appear in sessions, transcripts and logs, so they must be unambiguous and
// safe to print. A name is never reused, even after revocation, so a
// transcript naming a party always means the same organization.
package registry
