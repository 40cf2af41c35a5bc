package transcript

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParsePublicKey(t *testing.T) {
	want := testPub()
	good := []string{
		"79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664",
		"79B5562E8FE654F94078B112E8A98BA7901F853AE695BED7E0E3910BAD049664",
		"ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=",
		"ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=",
		"ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ",
		"ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ",
		"  ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=\n",
	}
	for _, s := range good {
		got, err := ParsePublicKey(s)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParsePublicKey(%q) = %x, %v", s, got, err)
		}
	}
	bad := []string{
		"",
		"79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad04966",   // 63 digits
		"79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad0496640", // 65
		"79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad04966g",
		"ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmR=", // non-canonical final bits
		"ebVWLo/mVPlAeLES6KmLp5Af_Trmlb7X4OORC60ElmQ=", // mixed alphabets
		"ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60Elm==",
		strings.Repeat("A", 88), // a 64-byte private key in base64
		"ed25519:ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=",
	}
	for _, s := range bad {
		if _, err := ParsePublicKey(s); !errors.Is(err, ErrKey) {
			t.Errorf("ParsePublicKey(%q): err = %v", s, err)
		}
	}
}
