package identifier_test

import (
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

func TestEmailValid(t *testing.T) {
	local64 := strings.Repeat("a", 64)
	addr254 := local64 + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"
	runNormTable(t, identifier.Normalizer{}, identifier.Email, []normCase{
		{name: "plain", in: "user@example.com", want: "user@example.com"},
		{name: "trim and lower", in: " \tUser@Example.COM \r\n", want: "user@example.com"},
		{name: "trim no-break space", in: "\u00a0user@example.com\u00a0", want: "user@example.com"},
		{name: "plus kept outside gmail", in: "jane.doe+x@example.com", want: "jane.doe+x@example.com"},
		{name: "gmail dots and tag", in: "Jane.Doe+tag@GMail.com", want: "janedoe@gmail.com"},
		{name: "gmail empty tag", in: "user+@gmail.com", want: "user@gmail.com"},
		{name: "gmail several plus", in: "a+b+c@gmail.com", want: "a@gmail.com"},
		{name: "gmail dots only after tag", in: "ab+c.d@gmail.com", want: "ab@gmail.com"},
		{name: "gmail leading dot", in: ".user.@gmail.com", want: "user@gmail.com"},
		// UID2 applies the gmail rule to gmail.com only.
		{name: "googlemail untouched", in: "jane.doe+x@googlemail.com", want: "jane.doe+x@googlemail.com"},
		{name: "gmail subdomain untouched", in: "jane.doe@mail.gmail.com", want: "jane.doe@mail.gmail.com"},
		{name: "dotless i is not gmail", in: "jane.doe@gma\u0131l.com", want: "jane.doe@gma\u0131l.com"},
		// Only A-Z are lowered, as UID2 does.
		{name: "non-ASCII kept", in: "JOSÉ@Exämple.DE", want: "josÉ@exämple.de"},
		{name: "apostrophe", in: "O'Brien@example.ie", want: "o'brien@example.ie"},
		{name: "atext", in: "a!#$%&'*+-/=?^_`{|}~b@x-y.example", want: "a!#$%&'*+-/=?^_`{|}~b@x-y.example"},
		{name: "doubled dot in local part", in: "a..b@example.jp", want: "a..b@example.jp"},
		{name: "64-byte local part", in: local64 + "@example.com", want: local64 + "@example.com"},
		{name: "254 bytes", in: addr254, want: addr254},
	})
	if len(addr254) != 254 {
		t.Fatalf("fixture is %d bytes", len(addr254))
	}
}

func TestEmailHostile(t *testing.T) {
	local65 := strings.Repeat("a", 65)
	addr255 := "a@" + strings.Repeat("b", 249) + ".com"
	runNormTable(t, identifier.Normalizer{}, identifier.Email, []normCase{
		{name: "empty", in: "", reason: "empty"},
		{name: "blank", in: " \t ", reason: "empty"},
		{name: "no at", in: "userexample.com", reason: "missing '@'"},
		{name: "two at", in: "a@b@example.com", reason: "more than one '@'"},
		{name: "trailing at", in: "user@example.com@", reason: "more than one '@'"},
		{name: "empty local", in: "@example.com", reason: "empty local part"},
		{name: "empty domain", in: "user@", reason: "empty domain"},
		{name: "only at", in: "@", reason: "empty local part"},
		{name: "space in local", in: "us er@example.com", reason: "contains white space"},
		{name: "space in domain", in: "user@exa mple.com", reason: "contains white space"},
		{name: "tab inside", in: "user\t@example.com", reason: "contains white space"},
		{name: "line separator", in: "us\u2028er@example.com", reason: "contains white space"},
		{name: "ideographic space", in: "user@exa\u3000mple.com", reason: "contains white space"},
		{name: "NUL", in: "user\x00@example.com", reason: "contains a control character"},
		{name: "trailing NUL", in: "user@example.com\x00", reason: "contains a control character"},
		{name: "DEL", in: "user@exam\x7fple.com", reason: "contains a control character"},
		{name: "C1 control", in: "us\u0090er@example.com", reason: "contains a control character"},
		{name: "zero-width space", in: "us\u200ber@example.com", reason: "contains an invisible formatting character"},
		{name: "BOM", in: "\ufeffuser@example.com", reason: "contains an invisible formatting character"},
		{name: "invalid UTF-8", in: "\xffuser@example.com", reason: "invalid UTF-8"},
		{name: "truncated UTF-8", in: "user@exampl\xc3.com", reason: "invalid UTF-8"},
		{name: "surrogate half", in: "user\xed\xa0\x80@example.com", reason: "invalid UTF-8"},
		{name: "replacement char", in: "us\ufffder@example.com", reason: "contains U+FFFD (text damaged by a wrong encoding)"},
		{name: "angle brackets", in: "<user@example.com>", reason: "character not allowed in local part"},
		{name: "display name", in: "Name<user@example.com>", reason: "character not allowed in local part"},
		{name: "quoted local", in: `"john"@example.com`, reason: "character not allowed in local part"},
		{name: "comma", in: "a,b@example.com", reason: "character not allowed in local part"},
		{name: "underscore in domain", in: "user@exa_mple.com", reason: "character not allowed in domain"},
		{name: "address literal", in: "user@[192.0.2.1]", reason: "character not allowed in domain"},
		{name: "trailing comma", in: "user@example.com,", reason: "character not allowed in domain"},
		{name: "domain without dot", in: "user@example", reason: "domain has no '.'"},
		{name: "domain trailing dot", in: "user@gmail.com.", reason: "domain has an empty label"},
		{name: "domain leading dot", in: "user@.example.com", reason: "domain has an empty label"},
		{name: "domain double dot", in: "user@example..com", reason: "domain has an empty label"},
		{name: "gmail tag only", in: "+tag@gmail.com", reason: "local part empty after gmail.com normalization"},
		{name: "gmail dots only", in: "...@Gmail.com", reason: "local part empty after gmail.com normalization"},
		{name: "65-byte local part", in: local65 + "@example.com", reason: "local part longer than 64 bytes"},
		{name: "255 bytes", in: addr255, reason: "longer than 254 bytes"},
		{name: "huge", in: strings.Repeat("a", 1<<20) + "@example.com", reason: "longer than 254 bytes"},
	})
	if len(addr255) != 255 {
		t.Fatalf("fixture is %d bytes", len(addr255))
	}
}

// TestEmailErrorText pins the message format and checks it carries no input.
func TestEmailErrorText(t *testing.T) {
	const in = "secret.person@@example.com"
	_, err := identifier.Normalizer{}.Normalize(identifier.Email, in)
	if err == nil || err.Error() != "identifier: invalid email: more than one '@'" {
		t.Fatalf("error = %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Fatal("error text contains the input")
	}
}

// Composed and decomposed spellings of one address give one normalized
// form (NFC), and non-ASCII letters keep their case, as UID2 lowers A-Z
// only; NonASCII tells the caller.
func TestEmailUnicode(t *testing.T) {
	runNormTable(t, identifier.Normalizer{}, identifier.Email, []normCase{
		{name: "composed", in: "HÉLÈNE.LEFÈVRE@ORANGE.FR", want: "hÉlÈne.lefÈvre@orange.fr"},
		{name: "decomposed", in: "HE\u0301LE\u0300NE.LEFE\u0300VRE@ORANGE.FR", want: "hÉlÈne.lefÈvre@orange.fr"},
		{name: "decomposed lower", in: "he\u0301le\u0300ne@orange.fr", want: "hélène@orange.fr"},
		{name: "decomposed domain", in: "jose@exa\u0308mple.de", want: "jose@exämple.de"},
		{name: "combining mark alone stays", in: "a\u0301\u0301@x.fr", want: "\u00e1\u0301@x.fr"},
		{name: "NFC then gmail rule", in: "Je\u0301.r+x@gmail.com", want: "jér@gmail.com"},
		{name: "gmail dot removal composes", in: "e.\u0301@gmail.com", want: "é@gmail.com"},
		{name: "lowering composes", in: "J\u030c@x.fr", want: "\u01f0@x.fr"},
	})
	for in, want := range map[string]bool{"user@example.com": false, "": false, "hélène@orange.fr": true, "a@\u00e4.de": true, "\x80": true} {
		if got := identifier.NonASCII(in); got != want {
			t.Errorf("NonASCII(%q) = %v", in, got)
		}
	}
	// The decomposed form is longer than the composed one: the length limit
	// applies to the NFC form.
	local := strings.Repeat("e\u0301", 32) // 96 bytes decomposed, 64 composed
	if got, err := (identifier.Normalizer{}).Normalize(identifier.Email, local+"@x.fr"); err != nil || got != strings.Repeat("é", 32)+"@x.fr" {
		t.Errorf("64-byte NFC local part: %q, %v", got, err)
	}
}
