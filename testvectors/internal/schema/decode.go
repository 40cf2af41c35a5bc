package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Errors of Decode besides those of encoding/json (unknown field, type
// mismatch, syntax), which it returns wrapped.
var (
	ErrNotObject    = errors.New("schema: the file is not one JSON object")
	ErrInvalidUTF8  = errors.New("schema: the file is not valid UTF-8")
	ErrKeySpelling  = errors.New("schema: key is not lower-case snake_case")
	ErrDuplicateKey = errors.New("schema: key appears twice in one object")
)

// Decode parses a vector file strictly. Beyond DisallowUnknownFields, which
// catches a misspelt or invented key, it rejects what encoding/json lets
// through silently and a replay in another language would read differently:
// a key in another case ("Element" matches element in Go), a key given twice
// (Go keeps the last, other parsers the first), invalid UTF-8 (Go replaces it
// with U+FFFD), and anything after the object.
func Decode(data []byte) (*File, error) {
	if !utf8.Valid(data) {
		return nil, ErrInvalidUTF8
	}
	if err := checkKeys(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	return &f, nil
}

// checkKeys checks that data is exactly one object and walks its tokens,
// checking the spelling and uniqueness of every key.
func checkKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ErrNotObject
	}
	if err := checkObject(dec); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrNotObject
	}
	return nil
}

// checkObject checks the members of an object whose '{' dec has read, and
// reads its '}'.
func checkObject(dec *json.Decoder) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		key, _ := tok.(string) // Token fails on anything else in key position
		if !isSnakeCase(key) {
			return fmt.Errorf("%w: %q", ErrKeySpelling, key)
		}
		if seen[key] {
			return fmt.Errorf("%w: %q", ErrDuplicateKey, key)
		}
		seen[key] = true
		if err := checkValue(dec); err != nil {
			return err
		}
	}
	return closeToken(dec)
}

// checkValue checks the keys of the next value of dec.
func checkValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(dec)
	case json.Delim('['):
		for dec.More() {
			if err := checkValue(dec); err != nil {
				return err
			}
		}
		return closeToken(dec)
	}
	return nil
}

// closeToken reads the '}' or ']' that ends an object or array.
func closeToken(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	return nil
}

func isSnakeCase(key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return key != ""
}
