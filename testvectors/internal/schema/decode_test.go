package schema

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

const minimal = `{"description": "d", "suite": "s", "dst": "x", "encodings": [{"encoding": "00", "valid": false, "reason": "identity"}]}`

func TestDecodeAccepts(t *testing.T) {
	f, err := Decode([]byte(" \n" + minimal + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Encodings) != 1 || f.Encodings[0].Valid == nil || *f.Encodings[0].Valid || f.Encodings[0].Reason != "identity" {
		t.Fatalf("decoded %+v", f)
	}
	// The same key in sibling objects is not a repetition.
	twoRecords := `{"records": [{"type": "email", "input": "a"}, {"type": "email", "input": "b"}], "intersections": [{"a": [], "b": [{"type": "x"}]}]}`
	if _, err := Decode([]byte(twoRecords)); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeHostile(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error // nil: any error
	}{
		{"empty", ``, ErrNotObject},
		{"array", `[` + minimal + `]`, ErrNotObject},
		{"string", `"x"`, ErrNotObject},
		{"trailing object", minimal + `{}`, ErrNotObject},
		{"trailing garbage", minimal + `x`, nil},
		{"truncated", minimal[:40], nil},
		{"duplicate top-level key", `{"suite": "a", "suite": "b"}`, ErrDuplicateKey},
		{"duplicate nested key", `{"records": [{"type": "email", "type": "phone"}]}`, ErrDuplicateKey},
		{"duplicate after nested value", `{"encodings": [{"encoding": "", "valid": true}], "encodings": []}`, ErrDuplicateKey},
		{"duplicate deep in intersections", `{"intersections": [{"a": [{"input": "x", "input": "y"}]}]}`, ErrDuplicateKey},
		{"key in other case", `{"Suite": "a"}`, ErrKeySpelling},
		{"nested key in other case", `{"records": [{"Type": "email"}]}`, ErrKeySpelling},
		{"empty key", `{"": 1}`, ErrKeySpelling},
		{"key with space", `{"key a": 1}`, ErrKeySpelling},
		{"unknown key", `{"suite": "a", "version": 1}`, nil},
		{"unknown nested key", `{"records": [{"typ": "email"}]}`, nil},
		{"wrong type", `{"intersections": [{"overlap": "4"}]}`, nil},
		{"invalid UTF-8", "{\"description\": \"\xff\"}", ErrInvalidUTF8},
	}
	for _, tc := range tests {
		_, err := Decode([]byte(tc.in))
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte(`{"records": [{"type": "email", "input": "a", "expect": "valid"}], "key_a": "00"}`))
	f.Add([]byte(`{"intersections": [{"a": [], "b": [], "overlap": 0}]}`))
	f.Add([]byte(`{"a": {"b": [1, {"c": null}]}, "d": true}`))
	f.Add([]byte(`{"suite": "a", "suite": "b"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Decode(data); err == nil && (!json.Valid(data) || !utf8.Valid(data)) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
	})
}
