// Package strictjson refuses what encoding/json silently accepts in a JSON
// document: duplicate object keys (encoding/json keeps the last, other
// parsers the first, so two readers of one document can see two different
// values), keys outside a caller's alphabet (encoding/json matches "API_KEY",
// or a key spelled with the Kelvin sign, to the field "api_key" or "k"),
// nulls where the caller allows none, deep nesting and trailing data.
//
// Check runs before the document is decoded into Go values; it reports
// what is wrong and never quotes the input, whose keys could be
// identifiers or keys pasted in the wrong place.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// Errors of Check. A document can have several faults; Check reports the
// first in reading order.
var (
	ErrSyntax       = errors.New("strictjson: not valid JSON")
	ErrTrailingData = errors.New("strictjson: data after the JSON value")
	ErrDuplicateKey = errors.New("strictjson: duplicate object key")
	ErrKey          = errors.New("strictjson: object key outside the allowed names")
	ErrNull         = errors.New("strictjson: null is not allowed")
	ErrTooDeep      = errors.New("strictjson: nested too deeply")
)

// Rules say what Check refuses beyond duplicate keys, syntax errors and
// trailing data, which it always refuses.
type Rules struct {
	// MaxDepth bounds nesting: a scalar or an empty container at the top
	// is depth 0, each object or array level adds one. Must be positive.
	MaxDepth int
	// Key, if set, reports whether an object key is allowed.
	Key func(key string) bool
	// NoNull refuses null anywhere.
	NoNull bool
}

// Check reads exactly one JSON value from data and applies r. Keys are
// compared after unescaping, so "a" and "\u0061" are the same key.
func Check(data []byte, r Rules) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := r.walk(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ErrTrailingData
	}
	return nil
}

func (r Rules) walk(dec *json.Decoder, depth int) error {
	if depth > r.MaxDepth {
		return ErrTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return ErrSyntax
	}
	switch tok {
	case nil:
		if r.NoNull {
			return ErrNull
		}
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			key, ok := tok.(string)
			if err != nil || !ok {
				return ErrSyntax
			}
			if r.Key != nil && !r.Key(key) {
				return ErrKey
			}
			if seen[key] {
				return ErrDuplicateKey
			}
			seen[key] = true
			if err := r.walk(dec, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // '}'
			return ErrSyntax
		}
	case json.Delim('['):
		for dec.More() {
			if err := r.walk(dec, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return ErrSyntax
		}
	}
	return nil
}
