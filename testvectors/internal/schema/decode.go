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

// frame is an open object or array during checkKeys' walk.
type frame struct {
	keys    map[string]bool // nil for an array
	wantKey bool            // an object expecting a key or its end
}

// checkKeys walks the tokens of data, which must be exactly one object, and
// checks the spelling and uniqueness of every key.
func checkKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return ErrNotObject
	}
	stack := []*frame{{keys: map[string]bool{}, wantKey: true}}
	// valueDone records that the value of the innermost object's key ended.
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].wantKey = true
		}
	}
	for len(stack) > 0 {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("schema: %w", err)
		}
		top := stack[len(stack)-1]
		if top.wantKey {
			if key, ok := tok.(string); ok {
				if !isSnakeCase(key) {
					return fmt.Errorf("%w: %q", ErrKeySpelling, key)
				}
				if top.keys[key] {
					return fmt.Errorf("%w: %q", ErrDuplicateKey, key)
				}
				top.keys[key] = true
				top.wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrNotObject
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
