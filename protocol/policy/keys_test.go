package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/wire"
)

// TestKeysHostile: match_keys, duplicates and conflicts refuse anything
// but the documented values, naming the field and never the value.
func TestKeysHostile(t *testing.T) {
	for doc, field := range map[string]string{
		`{"match_keys": ["email", "email"]}`:                  "match_keys[1]",
		`{"match_keys": ["email", "fax"]}`:                    "match_keys[1]",
		`{"match_keys": ["Email"]}`:                           "match_keys[0]",
		`{"match_keys": ["email", "phone", "maid", "email"]}`: "match_keys",
		`{"match_keys": "email"}`:                             "match_keys",
		`{"match_keys": null}`:                                "match_keys",
		`{"duplicates": "keep"}`:                              "duplicates",
		`{"duplicates": ""}`:                                  "duplicates",
		`{"conflicts": "merge"}`:                              "conflicts",
		`{"conflicts": 1}`:                                    "conflicts",
	} {
		_, err := Parse([]byte(doc))
		var pe *Error
		if !errors.As(err, &pe) || pe.Field != field {
			t.Errorf("Parse(%s) = %v, want an error on %s", doc, err, field)
			continue
		}
		if strings.Contains(pe.Reason, "fax") || strings.Contains(pe.Reason, "keep") || strings.Contains(pe.Reason, "merge") {
			t.Errorf("Parse(%s): reason %q quotes the value", doc, pe.Reason)
		}
	}
}

// TestKeysCanonical: the new fields are in the hash when they say
// something, and absent at their defaults so older policies keep their
// hashes; the order of match_keys is a priority and is kept.
func TestKeysCanonical(t *testing.T) {
	base := Default().Hash()
	for _, doc := range []string{`{"duplicates": "first"}`, `{"conflicts": "block"}`, `{"match_keys": []}`} {
		if mustParse(t, doc).Hash() != base {
			t.Errorf("%s changes the default hash", doc)
		}
	}
	seen := map[string]string{}
	for _, doc := range []string{
		`{"match_keys": ["email", "phone"]}`, `{"match_keys": ["phone", "email"]}`, `{"match_keys": ["email"]}`,
		`{"duplicates": "drop"}`, `{"conflicts": "ignore"}`, `{}`,
	} {
		h := mustParse(t, doc).Hash()
		if other, dup := seen[h]; dup {
			t.Errorf("%s and %s have the same hash", doc, other)
		}
		seen[h] = doc
	}
	p := mustParse(t, `{"match_keys": ["maid", "email"], "duplicates": "drop", "conflicts": "ignore"}`)
	if c := string(p.Canonical()); !strings.HasSuffix(c, `"match_keys":["maid","email"],"duplicates":"drop","conflicts":"ignore"}`) {
		t.Errorf("canonical form %s", c)
	}
	if q := mustParse(t, string(p.Canonical())); q.Hash() != p.Hash() {
		t.Error("the canonical form does not read back to the same hash")
	}
}

// TestKeysFloor: how the parties match is theirs to agree on; the default
// floor takes any setting.
func TestKeysFloor(t *testing.T) {
	for _, doc := range []string{`{"conflicts": "ignore"}`, `{"duplicates": "drop", "match_keys": ["phone", "maid"]}`} {
		if err := mustParse(t, doc).CheckFloor(Default()); err != nil {
			t.Errorf("%s under the default floor: %v", doc, err)
		}
	}
}

// TestKeysAttrs: a multi-key policy declares one presence bit per key in
// its order, after the segments; one key keeps the v1 layout.
func TestKeysAttrs(t *testing.T) {
	one, err := mustParse(t, `{"match_keys": ["phone"]}`).Attrs(2)
	if err != nil {
		t.Fatal(err)
	}
	if h := (wire.Header{Kind: wire.KindBlinded, Attrs: one}); h.Keyed() {
		t.Error("a one-key policy declares key bits")
	}
	attrs, err := mustParse(t, `{"match_keys": ["phone", "maid", "email"]}`).Attrs(2)
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.Attr{
		{Kind: wire.AttrSegment, Value: 0}, {Kind: wire.AttrSegment, Value: 1},
		{Kind: wire.AttrKey, Value: wire.KeyPhone}, {Kind: wire.AttrKey, Value: wire.KeyMAID}, {Kind: wire.AttrKey, Value: wire.KeyEmail},
	}
	if got := attrs[len(attrs)-5:]; !slices.Equal(got, want) {
		t.Errorf("attrs end %v, want %v", got, want)
	}
	e, err := NewEvaluator(mustParse(t, `{"match_keys": ["phone", "maid", "email"]}`), attrs)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Keys(uint64(0b101) << (len(attrs) - 3)); got != 0b101 {
		t.Errorf("Keys = %03b, want 101 (phone and e-mail)", got)
	}
	if _, err := NewEvaluator(mustParse(t, `{"match_keys": ["phone", "maid"]}`), attrs[:len(attrs)-2]); !errors.Is(err, ErrMissingAttr) {
		t.Errorf("attribute list without the MAID presence bit: %v", err)
	}
	if got := mustParse(t, `{}`).Keys("maid"); !slices.Equal(got, []string{"maid"}) {
		t.Errorf("Keys of a one-key session: %v", got)
	}
}
