package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/strictjson"
)

// MaxJSONBody bounds JSON request bodies. The largest, a session creation
// with its policy and segment names, is a few KiB.
const MaxJSONBody = 64 << 10

const jsonMediaType = "application/json"

// maxJSONDepth bounds the nesting of JSON request bodies; the deepest, a
// session's policy inside its creation request, needs a handful of levels.
const maxJSONDepth = 16

// decodeJSON reads exactly one JSON object of dst's type from the request:
// Content-Type application/json, at most MaxJSONBody bytes, no unknown
// fields, no trailing data, and no duplicate keys, nor keys that only
// encoding/json's case-insensitive matching would take for a field (with
// either, a reviewer of the body and the server could read different
// requests). The body must arrive within h.jsonRead. Errors are
// *session.RequestError naming the field (or "body"), or
// *http.MaxBytesError; neither quotes the body.
func (h *handler) decodeJSON(c *gin.Context, dst any) error {
	if !hasMediaType(c.GetHeader("Content-Type"), jsonMediaType) {
		return &session.RequestError{Field: "Content-Type", Reason: "must be " + jsonMediaType}
	}
	body, err := h.readJSONBody(c)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &session.RequestError{Field: "body", Reason: "data after the JSON object"}
	}
	// The body decoded, so only the rules strictjson adds can fail here.
	switch err := strictjson.Check(body, strictjson.Rules{MaxDepth: maxJSONDepth, Key: fieldLike}); {
	case errors.Is(err, strictjson.ErrDuplicateKey):
		return &session.RequestError{Field: "body", Reason: "an object has the same key twice"}
	case errors.Is(err, strictjson.ErrKey):
		return &session.RequestError{Field: "body", Reason: "unknown field (field names are lowercase)"}
	case errors.Is(err, strictjson.ErrTooDeep):
		return &session.RequestError{Field: "body", Reason: "nested too deeply"}
	case err != nil:
		return &session.RequestError{Field: "body", Reason: "invalid JSON"}
	}
	return nil
}

// readJSONBody reads the whole body, at most MaxJSONBody bytes, within
// h.jsonRead: the server's read timeout is sized for 64 MiB parts, and a
// client trickling a small body would otherwise hold the connection for
// that long (unauthenticated, on the token route).
func (h *handler) readJSONBody(c *gin.Context) ([]byte, error) {
	rc := http.NewResponseController(c.Writer)
	// A writer without deadlines (a test's recorder) keeps the server's.
	// Deadlines are on the connection's clock, the real one, not h.now.
	deadline := rc.SetReadDeadline(time.Now().Add(h.jsonRead)) == nil
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxJSONBody))
	switch {
	case err == nil:
		if deadline {
			// Nothing more is read for this request; a deadline left in
			// place would end the connection's background read and
			// cancel the request's context while the handler works.
			rc.SetReadDeadline(time.Time{})
		}
		return body, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The connection stopped in the middle of a body: answer and
		// close it, rather than wait for the rest to discard it.
		c.Header("Connection", "close")
		return nil, &session.RequestError{Field: "body", Reason: fmt.Sprintf("not received within %v", h.jsonRead)}
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, err
	}
	return nil, fmt.Errorf("httpapi: reading the request body: %w", err)
}

// hasMediaType reports whether a Content-Type header names want
// (parameters such as charset are allowed and ignored).
func hasMediaType(header, want string) bool {
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && mt == want
}

// jsonError turns an encoding/json error into a RequestError whose reason
// says what is wrong and where, without quoting any of the input (a syntax
// error's text would quote a character of, say, an API key).
func jsonError(err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return &session.RequestError{Field: "body", Reason: fmt.Sprintf("malformed JSON at byte %d", se.Offset)}
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &session.RequestError{Field: field, Reason: "must be " + jsonKind(te.Type)}
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return err
	}
	switch {
	case errors.Is(err, io.EOF):
		return &session.RequestError{Field: "body", Reason: "empty; a JSON object is required"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &session.RequestError{Field: "body", Reason: "truncated JSON"}
	}
	// encoding/json reports unknown fields only as text.
	if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		if fieldLike(name) {
			return &session.RequestError{Field: name, Reason: "unknown field"}
		}
		return &session.RequestError{Field: "body", Reason: "unknown field"}
	}
	return &session.RequestError{Field: "body", Reason: "invalid JSON"}
}

// maxFieldName bounds a client-chosen field name echoed in an error.
const maxFieldName = 32

// fieldLike reports whether an unknown field's name looks like a field
// name of the API (lowercase letters and underscores), and so may be echoed
// in the error and the log. Anything else (digits, '@', mixed case) could be
// a misplaced identifier or key, and is not repeated.
func fieldLike(s string) bool {
	if s == "" || len(s) > maxFieldName {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "of another type"
}
