package identifier

import (
	"crypto/sha256"
	"strings"
)

// Type names an identifier kind. The values are the names used on the
// command line and in session metadata.
type Type string

// The identifier types of DESIGN.md section 3.
const (
	Email  Type = "email"
	Phone  Type = "phone"
	MAID   Type = "maid"
	SHA256 Type = "sha256"
)

// Types returns every supported type, in a fixed order.
func Types() []Type {
	return []Type{Email, Phone, MAID, SHA256}
}

// ParseType returns the Type named s. Names are exact and lower case.
func ParseType(s string) (Type, error) {
	switch t := Type(s); t {
	case Email, Phone, MAID, SHA256:
		return t, nil
	}
	return "", ErrUnknownType
}

// Digest is the 32-byte value d of DESIGN.md section 2 step 2, the input of
// hash-to-group.
type Digest [32]byte

// Normalizer normalizes identifiers. The zero value is ready to use and
// accepts phone numbers only in E.164 form.
type Normalizer struct {
	// DefaultRegion is the upper-case ISO 3166 alpha-2 region ("FR", "US")
	// used to read phone numbers written in national format. Empty means
	// only E.164 input is accepted: a national number cannot be turned into
	// E.164 without knowing its country, and we do not guess.
	DefaultRegion string
}

// Validate reports whether the configuration is usable: DefaultRegion must
// be empty or a region known to the phone metadata.
func (n Normalizer) Validate() error {
	if n.DefaultRegion != "" && !knownRegion(n.DefaultRegion) {
		return ErrUnknownRegion
	}
	return nil
}

// Normalize returns the normalized form of input as an identifier of type t.
// Surrounding white space is ignored. When input is already normalized the
// result shares its memory and nothing is allocated.
func (n Normalizer) Normalize(t Type, input string) (string, error) {
	s := strings.TrimSpace(input)
	switch t {
	case Email:
		return normalizeEmail(s)
	case Phone:
		return n.normalizePhone(s)
	case MAID:
		return normalizeMAID(s)
	case SHA256:
		_, norm, err := parseHash(s)
		return norm, err
	}
	return "", ErrUnknownType
}

// Digest returns d for input as an identifier of type t, together with the
// normalized form. For SHA256 the digest is the decoded value itself.
func (n Normalizer) Digest(t Type, input string) (Digest, string, error) {
	if t == SHA256 {
		return parseHash(strings.TrimSpace(input))
	}
	norm, err := n.Normalize(t, input)
	if err != nil {
		return Digest{}, "", err
	}
	// Hash a stack copy: converting norm with []byte(norm) allocates once
	// it is longer than 32 bytes. Every normalized form fits maxEmailLen.
	var buf [maxEmailLen]byte
	return sha256.Sum256(append(buf[:0], norm...)), norm, nil
}
