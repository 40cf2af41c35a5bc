package auth

import (
	"errors"
	"testing"
)

func TestParseRole(t *testing.T) {
	for _, s := range []string{"advertiser", "media_partner", "auditor"} {
		if got, err := ParseRole(s); err != nil || string(got) != s {
			t.Errorf("ParseRole(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "Advertiser", "ADVERTISER", " auditor", "auditor ", "admin", "operator", "media-partner", "media_partner\x00"} {
		if _, err := ParseRole(s); !errors.Is(err, ErrUnknownRole) {
			t.Errorf("ParseRole(%q): err = %v, want ErrUnknownRole", s, err)
		}
	}
}
