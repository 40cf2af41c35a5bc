package identifier_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

func TestTypes(t *testing.T) {
	want := []identifier.Type{"email", "phone", "maid", "sha256"}
	if got := identifier.Types(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Types() = %v", got)
	}
	identifier.Types()[0] = "mutated"
	if identifier.Types()[0] != identifier.Email {
		t.Fatal("Types() shares its slice")
	}
	for _, typ := range want {
		if got, err := identifier.ParseType(string(typ)); err != nil || got != typ {
			t.Errorf("ParseType(%q) = %q, %v", typ, got, err)
		}
	}
	for _, s := range []string{"", "Email", "EMAIL", " email", "sha-256", "idfa"} {
		if _, err := identifier.ParseType(s); !errors.Is(err, identifier.ErrUnknownType) {
			t.Errorf("ParseType(%q) error = %v", s, err)
		}
	}
}

func TestUnknownType(t *testing.T) {
	n := identifier.Normalizer{}
	if _, err := n.Normalize("ssn", "123"); !errors.Is(err, identifier.ErrUnknownType) {
		t.Errorf("Normalize error = %v", err)
	}
	if _, _, err := n.Digest("", "user@example.com"); !errors.Is(err, identifier.ErrUnknownType) {
		t.Errorf("Digest error = %v", err)
	}
}

func TestErrorText(t *testing.T) {
	err := error(&identifier.Error{Type: identifier.MAID, Reason: "non-hex character"})
	if got := err.Error(); got != "identifier: invalid maid: non-hex character" {
		t.Fatalf("Error() = %q", got)
	}
	if !errors.Is(err, identifier.ErrInvalid) || errors.Unwrap(err) != identifier.ErrInvalid {
		t.Fatal("Error does not unwrap to ErrInvalid")
	}
}
