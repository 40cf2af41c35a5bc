package consent

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The id follows the file's bytes, so that a resumed run notices an edit.
func TestReadMappingFileIDFollowsTheBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "map.txt")
	write := func(s string) string {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		_, id, err := ReadMappingFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a, b := write("Oui=1;3\nNon=\n"), write("Oui=1;3;4\nNon=\n")
	if a == b || !strings.HasPrefix(a, "file sha256:") {
		t.Fatalf("ids %q and %q", a, b)
	}
	os.WriteFile(path, []byte("no equals sign\n"), 0o600)
	if _, _, err := ReadMappingFile(path); !errors.Is(err, ErrInvalidMapping) || !strings.Contains(err.Error(), path) {
		t.Fatalf("a bad file: %v, want ErrInvalidMapping naming the file", err)
	}
}
