package auth

import "github.com/blindjoin/blindjoin/protocol/api"

// Roles a party can have; the same strings as the HTTP API's.
const (
	RoleAdvertiser   = api.RoleAdvertiser
	RoleMediaPartner = api.RoleMediaPartner
	RoleAuditor      = api.RoleAuditor
)

// ParseRole returns s if it is exactly one of the role constants, and an
// error wrapping ErrUnknownRole otherwise (no case folding or trimming: a
// role is an identifier, not user input to be guessed at).
func ParseRole(s string) (api.Role, error) {
	switch r := api.Role(s); r {
	case RoleAdvertiser, RoleMediaPartner, RoleAuditor:
		return r, nil
	}
	return "", ErrUnknownRole
}
