package strictjson

import (
	"errors"
	"strings"
	"testing"
)

func lowercase(k string) bool {
	for _, c := range []byte(k) {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return k != ""
}

func TestCheck(t *testing.T) {
	strict := Rules{MaxDepth: 4, Key: lowercase, NoNull: true}
	loose := Rules{MaxDepth: 4}
	for _, tc := range []struct {
		name string
		doc  string
		r    Rules
		want error
	}{
		{"object", `{"a":1,"b":[{"c":"x"},{"c":"y"}]}`, strict, nil},
		{"scalar", `"x"`, strict, nil},
		{"same key in sibling objects", `[{"a":1},{"a":2}]`, strict, nil},
		{"same key at two levels", `{"a":{"a":1}}`, strict, nil},
		{"null allowed", `{"a":null}`, loose, nil},
		{"any key allowed", `{"A-1":1}`, loose, nil},

		{"duplicate at top level", `{"a":1,"a":2}`, strict, ErrDuplicateKey},
		{"duplicate with other values", `{"a":1,"b":2,"a":{"x":1}}`, loose, ErrDuplicateKey},
		{"duplicate nested", `{"a":{"b":1,"b":1}}`, strict, ErrDuplicateKey},
		{"duplicate in an array of objects", `{"a":[{"b":1},{"b":1,"b":2}]}`, strict, ErrDuplicateKey},
		{"duplicate spelled with an escape", `{"a":1,"\u0061":2}`, strict, ErrDuplicateKey},
		{"duplicate of an escaped key", `{"\u0061":1,"a":2}`, loose, ErrDuplicateKey},
		{"case variant", `{"a":1,"A":2}`, strict, ErrKey},
		{"kelvin sign", `{"\u212a":1}`, strict, ErrKey},
		{"null refused", `{"a":[1,null]}`, strict, ErrNull},
		{"too deep", `{"a":{"b":{"c":{"d":{"e":1}}}}}`, strict, ErrTooDeep},
		{"deep arrays", strings.Repeat("[", 100) + strings.Repeat("]", 100), loose, ErrTooDeep},
		{"trailing data", `{"a":1}{}`, strict, ErrTrailingData},
		{"truncated", `{"a":`, strict, ErrSyntax},
		{"not JSON", `{a:1}`, strict, ErrSyntax},
		{"empty", ``, strict, ErrSyntax},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Check([]byte(tc.doc), tc.r); !errors.Is(err, tc.want) {
				t.Fatalf("Check(%s) = %v, want %v", tc.doc, err, tc.want)
			}
		})
	}
}

// TestCheckDoesNotQuoteTheInput: a key could be an identifier.
func TestCheckDoesNotQuoteTheInput(t *testing.T) {
	const secret = "user@example.com"
	for _, doc := range []string{`{"` + secret + `":1,"` + secret + `":2}`, `{"` + secret + `":1}`} {
		err := Check([]byte(doc), Rules{MaxDepth: 4, Key: lowercase})
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Fatalf("Check(%s) = %v", doc, err)
		}
	}
}
