package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// APIKeyPrefix starts every API key, so leaked keys are easy to recognize
// (secret scanners, log review) and to tell from access tokens.
const APIKeyPrefix = "bjk_"

const (
	apiKeyBytes = 32
	apiKeyLen   = len(APIKeyPrefix) + 43 // 43 = unpadded base64 of 32 bytes
)

var apiKeyEncoding = base64.RawURLEncoding.Strict()

// APIKey is a party's long-lived secret. Its String, Format, LogValue and
// MarshalJSON methods all print a redacted form, so a key that reaches a
// log line or a JSON body by mistake does not leak; Reveal returns the
// secret for the one place that must show it (the operator registering a
// party).
type APIKey string

const redactedAPIKey = APIKeyPrefix + "REDACTED"

// GenerateAPIKey returns a new key: APIKeyPrefix followed by 32 bytes read
// from rand, in unpadded base64url.
func GenerateAPIKey(rand io.Reader) (APIKey, error) {
	var b [apiKeyBytes]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", fmt.Errorf("auth: generate api key: %w", err)
	}
	return APIKey(APIKeyPrefix + apiKeyEncoding.EncodeToString(b[:])), nil
}

// ParseAPIKey checks that s has exactly the form GenerateAPIKey produces
// (prefix, length, canonical base64url) and returns it as an APIKey. A
// malformed key gives an *Error with ReasonAPIKey, wrapping
// ErrUnauthenticated, so it cannot be told apart from an unknown key.
func ParseAPIKey(s string) (APIKey, error) {
	body, ok := strings.CutPrefix(s, APIKeyPrefix)
	if !ok || len(s) != apiKeyLen {
		return "", deny(ReasonAPIKey)
	}
	if _, err := apiKeyEncoding.DecodeString(body); err != nil {
		return "", deny(ReasonAPIKey)
	}
	return APIKey(s), nil
}

// HashAPIKey returns the SHA-256 of the key string, the only form in which
// keys are stored. A fast hash is enough: the key has 256 bits of entropy,
// so unlike a password it cannot be guessed from its hash, and a slow KDF
// would only make every token request slower.
func HashAPIKey(key APIKey) [32]byte {
	return sha256.Sum256([]byte(key))
}

// Reveal returns the secret key.
func (k APIKey) Reveal() string { return string(k) }

// String returns a redacted form of the key.
func (k APIKey) String() string { return redactedAPIKey }

// Format prints the redacted form for every verb, including %d or %x that
// would otherwise bypass String.
func (k APIKey) Format(f fmt.State, verb rune) { io.WriteString(f, redactedAPIKey) }

// LogValue makes slog print the redacted form.
func (k APIKey) LogValue() slog.Value { return slog.StringValue(redactedAPIKey) }

// MarshalJSON writes the redacted form; use Reveal to send a key on purpose.
func (k APIKey) MarshalJSON() ([]byte, error) { return []byte(`"` + redactedAPIKey + `"`), nil }
