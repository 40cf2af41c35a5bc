package transcript

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxSize is the largest transcript ParseTranscript accepts.
const MaxSize = 16 << 20

// maxDepth bounds JSON nesting; a transcript needs 3 levels.
const maxDepth = 8

// Transcript is a session's events and the signed head that covers them.
// Decode it with ParseTranscript: plain json.Unmarshal skips the checks on
// duplicate keys, key spelling, nulls and encoding.
type Transcript struct {
	SessionID string  `json:"session_id"`
	Events    []Event `json:"events"`
	Head      Head    `json:"head"`
}

// ParseTranscript decodes a transcript strictly (see the package
// documentation) and checks every field's syntax; Verify checks the chain
// and the signature.
func ParseTranscript(data []byte) (Transcript, error) {
	if len(data) > MaxSize {
		return Transcript{}, ErrTooLarge
	}
	if !utf8.Valid(data) { // encoding/json would silently substitute U+FFFD
		return Transcript{}, fmt.Errorf("%w: not UTF-8", ErrSyntax)
	}
	if err := checkJSON(data); err != nil {
		return Transcript{}, err
	}
	var t Transcript
	if err := strictUnmarshal(data, &t); err != nil {
		return Transcript{}, err
	}
	if err := t.checkFields(); err != nil {
		return Transcript{}, err
	}
	return t, nil
}

// checkFields checks the syntax of every field: ids, events, head.
func (t Transcript) checkFields() error {
	if !validID(t.SessionID) || t.Head.SessionID != t.SessionID {
		return ErrSession
	}
	if !validID(t.Head.KeyID) {
		return fmt.Errorf("%w: key id", ErrHead)
	}
	if len(t.Head.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature size", ErrHead)
	}
	return checkEvents(t.Events)
}

// strictUnmarshal decodes exactly one JSON value with no unknown fields.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// Errors of our own UnmarshalJSON methods already say what is wrong.
		if errors.Is(err, ErrEvent) || errors.Is(err, ErrHead) {
			return err
		}
		return fmt.Errorf("%w: %s", ErrSyntax, jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON value", ErrSyntax)
	}
	return nil
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return "wrong type for " + typeErr.Field
	}
	return "not valid JSON for a transcript"
}

// checkJSON walks the document's tokens and refuses what encoding/json
// would silently accept: duplicate keys (parsers disagree on which wins),
// keys outside [a-z0-9_] (encoding/json matches "SEQ" or a Kelvin sign to
// "seq" and "k"), nulls, deep nesting and trailing data.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walk(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON value", ErrSyntax)
	}
	return nil
}

func walk(dec *json.Decoder, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested too deeply", ErrSyntax)
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: not valid JSON", ErrSyntax)
	}
	switch tok {
	case nil:
		return fmt.Errorf("%w: null is not allowed", ErrSyntax)
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			key, ok := tok.(string)
			if err != nil || !ok {
				return fmt.Errorf("%w: not valid JSON", ErrSyntax)
			}
			if !validName(key) {
				return fmt.Errorf("%w: object keys must be [a-z0-9_]", ErrSyntax)
			}
			if seen[key] {
				return fmt.Errorf("%w: duplicate object key", ErrSyntax)
			}
			seen[key] = true
			if err := walk(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
	case json.Delim('['):
		for dec.More() {
			if err := walk(dec, depth+1); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
	}
	if err != nil {
		return fmt.Errorf("%w: not valid JSON", ErrSyntax)
	}
	return nil
}
