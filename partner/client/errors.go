package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/blindjoin/blindjoin/protocol/api"
)

var (
	// ErrInterrupted marks a transfer that broke off (a download body that
	// ended early or failed to read). A part body whose producer fails with
	// an error wrapping it is retried like a network error.
	ErrInterrupted = errors.New("client: transfer interrupted")
	// ErrBodyLength is returned when a part body produced a different
	// number of bytes than its declared Size: a bug in the producer.
	ErrBodyLength = errors.New("client: part body length differs from its declared size")
	// ErrResponse wraps a success response the client cannot use (bad JSON,
	// a missing header).
	ErrResponse = errors.New("client: malformed response")
	// ErrNoIdentity is returned by Identity when the token does not carry
	// readable claims.
	ErrNoIdentity = errors.New("client: the access token carries no readable identity")
)

// APIError is an error response of the clean room. Code is one of the
// api.Code constants, or empty when the body was not an api.ErrorBody.
type APIError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is the server's Retry-After, zero if none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("client: HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("client: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// IsCode reports whether err is an *APIError with the given code.
func IsCode(err error, code string) bool {
	e, ok := errors.AsType[*APIError](err)
	return ok && e.Code == code
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// maxMessage bounds the message kept from an error body.
const maxMessage = 300

// readAPIError builds the error of a non-2xx response from its body: an
// api.ErrorBody when it is one, a generic message with the status otherwise.
// It drains and closes nothing; the caller closes the body.
func readAPIError(resp *http.Response, now time.Time) *APIError {
	e := &APIError{Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body api.ErrorBody
	if json.Unmarshal(raw, &body) == nil && validCode(body.Error.Code) {
		e.Code = body.Error.Code
		e.Message = cleanMessage(body.Error.Message)
	}
	if e.Message == "" {
		e.Message = "unexpected response " + statusLine(resp.StatusCode)
	}
	return e
}

func statusLine(status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%d %s", status, t)
	}
	return fmt.Sprint(status)
}

// validCode accepts codes of the api shape (lower-case words and '_'), so
// that a body that is not ours cannot put arbitrary text in Code.
func validCode(code string) bool {
	if code == "" || len(code) > 64 {
		return false
	}
	for _, r := range code {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// cleanMessage keeps a message printable and short: it ends up on a
// terminal, where control characters could rewrite what the user sees.
func cleanMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "..."
	}
	return s
}
