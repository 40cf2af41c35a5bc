package operator

import (
	"encoding/base64"
	"os"
	"testing"
)

func base64RawURL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
