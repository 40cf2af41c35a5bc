package transcript

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/blindjoin/blindjoin/protocol/strictjson"
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

// checkJSON refuses what encoding/json would silently accept: duplicate
// keys (parsers disagree on which wins), keys outside [a-z0-9_]
// (encoding/json matches "SEQ" or a Kelvin sign to "seq" and "k"), nulls,
// deep nesting and trailing data.
func checkJSON(data []byte) error {
	err := strictjson.Check(data, strictjson.Rules{MaxDepth: maxDepth, Key: validName, NoNull: true})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	return nil
}
