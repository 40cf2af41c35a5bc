package auth

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"
)

// fixedKey is GenerateAPIKey's output for the bytes 0x00..0x1f; its hash was
// computed with `printf %s KEY | sha256sum`.
const (
	fixedKey     = "bjk_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
	fixedKeyHash = "50b990c27b029fd7c0845c1198971fa9692498dab8011642258120de91076d12"
)

func TestGenerateAPIKey(t *testing.T) {
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i)
	}
	key, err := GenerateAPIKey(bytes.NewReader(seq))
	if err != nil || key.Reveal() != fixedKey {
		t.Fatalf("GenerateAPIKey = %q, %v; want %q", key.Reveal(), err, fixedKey)
	}
	if _, err := GenerateAPIKey(iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Fatal("a failing rand gave a key")
	}
	if _, err := GenerateAPIKey(bytes.NewReader(seq[:31])); err == nil {
		t.Fatal("a short rand gave a key")
	}
	a, _ := GenerateAPIKey(testRand(1))
	b, _ := GenerateAPIKey(testRand(2))
	if a == b {
		t.Fatal("different randomness gave the same key")
	}
	if _, err := ParseAPIKey(a.Reveal()); err != nil {
		t.Fatalf("a generated key does not parse: %v", err)
	}
}

func TestHashAPIKey(t *testing.T) {
	h := HashAPIKey(APIKey(fixedKey))
	if got := hex.EncodeToString(h[:]); got != fixedKeyHash {
		t.Fatalf("hash %s, want %s", got, fixedKeyHash)
	}
	other := HashAPIKey(APIKey(fixedKey[:len(fixedKey)-1] + "g"))
	if h == other {
		t.Fatal("two keys have the same hash")
	}
}

func TestParseAPIKeyRejects(t *testing.T) {
	body := strings.TrimPrefix(fixedKey, APIKeyPrefix)
	cases := map[string]string{
		"empty":             "",
		"prefix only":       APIKeyPrefix,
		"no prefix":         body,
		"upper-case prefix": "BJK_" + body,
		"other prefix":      "bjx_" + body,
		"short":             fixedKey[:len(fixedKey)-1],
		"long":              fixedKey + "A",
		"padded":            fixedKey[:len(fixedKey)-1] + "=",
		"standard base64":   APIKeyPrefix + strings.Replace(body, "A", "+", 1),
		"space":             fixedKey[:10] + " " + fixedKey[11:],
		"newline":           fixedKey[:10] + "\n" + fixedKey[11:],
		// The last character carries 4 data bits and 2 padding bits: "8"
		// is 111100, "9" is 111101, the same bytes with a padding bit set.
		"non-canonical end": fixedKey[:len(fixedKey)-1] + "9",
		"access token":      "eyJhbGciOiJFZERTQSJ9.e30.sig",
	}
	for name, s := range cases {
		_, err := ParseAPIKey(s)
		wantDenied(t, name, s, err, ReasonAPIKey)
	}
	if _, err := ParseAPIKey(fixedKey); err != nil {
		t.Fatalf("valid key rejected: %v", err)
	}
}

func TestAPIKeyRedacts(t *testing.T) {
	key := APIKey(fixedKey)
	secret := strings.TrimPrefix(fixedKey, APIKeyPrefix)
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3s"} {
		out = append(out, fmt.Sprintf(verb, key))
	}
	out = append(out, fmt.Sprint(key), fmt.Sprintf("%v", []APIKey{key}),
		fmt.Sprintf("%+v", struct{ K APIKey }{key}))
	var logged bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logged, nil))
	logger.Info("registered", "key", key, slog.Any("any", key))
	slog.New(slog.NewTextHandler(&logged, nil)).Info("registered", "key", key)
	out = append(out, logged.String())
	js, err := json.Marshal(map[string]APIKey{"k": key})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(js))
	hexSecret := fmt.Sprintf("%x", fixedKey)
	for _, s := range out {
		if strings.Contains(s, secret) || strings.Contains(s, hexSecret) {
			t.Errorf("key leaked: %s", s)
		}
	}
	if key.Reveal() != fixedKey {
		t.Fatal("Reveal does not return the key")
	}
}
