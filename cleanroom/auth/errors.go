package auth

import (
	"errors"
	"log/slog"
)

// ErrUnauthenticated is wrapped by every error of Verify and ParseAPIKey.
// The HTTP layer maps it to 401 with a fixed message, whatever the Reason.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// ErrUnknownRole reports a role outside RoleAdvertiser, RoleMediaPartner
// and RoleAuditor.
var ErrUnknownRole = errors.New("auth: unknown role")

// Reason says which check rejected a credential. It is for logs and
// metric labels (the set is small and fixed), never for the client.
type Reason string

// Reasons a credential is rejected.
const (
	ReasonMalformed     Reason = "malformed token"
	ReasonTooLarge      Reason = "token too large"
	ReasonAlgorithm     Reason = "algorithm not allowed"
	ReasonHeader        Reason = "unsupported header"
	ReasonUnknownKey    Reason = "unknown or missing key id"
	ReasonSignature     Reason = "bad signature"
	ReasonExpired       Reason = "expired"
	ReasonNotYetValid   Reason = "issued in the future"
	ReasonIssuer        Reason = "wrong issuer"
	ReasonAudience      Reason = "wrong audience"
	ReasonMissingClaim  Reason = "missing claim"
	ReasonRole          Reason = "invalid role"
	ReasonLifetime      Reason = "invalid lifetime"
	ReasonInvalidClaims Reason = "invalid claims"
	ReasonKeyring       Reason = "keyring unavailable"
	ReasonAPIKey        Reason = "malformed api key"
)

// Error is the error of a rejected credential. It holds only a Reason, so
// logging it cannot leak the credential.
type Error struct {
	Reason Reason
}

func (e *Error) Error() string { return "auth: unauthenticated: " + string(e.Reason) }

func (e *Error) Unwrap() error { return ErrUnauthenticated }

// LogValue logs the reason as a plain attribute.
func (e *Error) LogValue() slog.Value {
	return slog.GroupValue(slog.String("reason", string(e.Reason)))
}

func deny(r Reason) *Error { return &Error{Reason: r} }
