package client

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blindjoin/blindjoin/protocol/api"
)

func response(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
}

func TestReadAPIError(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		status        int
		body          string
		code, message string
	}{
		{409, `{"error":{"code":"wrong_state","message":"the session is created; wait"}}`, api.CodeWrongState, "the session is created; wait"},
		{502, `<html>Bad Gateway</html>`, "", "unexpected response 502 Bad Gateway"},
		{500, ``, "", "unexpected response 500 Internal Server Error"},
		{599, `{}`, "", "unexpected response 599"},
		{400, `{"error":{"code":"Evil Code!","message":"x"}}`, "", "unexpected response 400 Bad Request"},
		{400, `{"error":{"code":"bad_request","message":"line1\n\u001b[2Jline2"}}`, api.CodeBadRequest, "line1  [2Jline2"},
		{400, `{"error":{"code":"bad_request","message":""}}`, api.CodeBadRequest, "unexpected response 400 Bad Request"},
	} {
		e := readAPIError(response(tc.status, tc.body), now)
		if e.Status != tc.status || e.Code != tc.code || e.Message != tc.message {
			t.Errorf("%d %q: got %+v", tc.status, tc.body, e)
		}
	}
	long := `{"error":{"code":"bad_request","message":"` + strings.Repeat("é", 1000) + `"}}`
	if e := readAPIError(response(400, long), now); utf8.RuneCountInString(e.Message) != maxMessage+3 {
		t.Errorf("long message kept %d runes", utf8.RuneCountInString(e.Message))
	}
}

// FuzzReadAPIError checks that any error body gives a printable, bounded
// message and a code of the API's shape.
func FuzzReadAPIError(f *testing.F) {
	for _, s := range []string{
		`{"error":{"code":"not_found","message":"not found"}}`,
		`{"error":{"code":"x","message":"\u0000\u202e"}}`,
		`{"error":"flat"}`, `null`, `[]`, "\xff\xfe", `{"error":{"code":"a","message":"` + strings.Repeat("a", 500) + `"}}`,
	} {
		f.Add(502, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		e := readAPIError(response(status, body), time.Now())
		if e.Message == "" || utf8.RuneCountInString(e.Message) > maxMessage+3 {
			t.Fatalf("message %q", e.Message)
		}
		for _, r := range e.Message {
			if unicode.IsControl(r) {
				t.Fatalf("control character in %q", e.Message)
			}
		}
		if e.Code != "" && !validCode(e.Code) {
			t.Fatalf("code %q", e.Code)
		}
	})
}

// FuzzParseIdentity checks that no token makes parseIdentity panic or
// return an identity with an unknown role.
func FuzzParseIdentity(f *testing.F) {
	f.Add(fakeToken("acme", api.RoleAdvertiser, 1))
	f.Add("e30." + b64(`{"sub":"x","role":"auditor"}`) + ".c")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := parseIdentity(tok)
		if err != nil {
			return
		}
		if id.Party == "" || (id.Role != api.RoleAdvertiser && id.Role != api.RoleMediaPartner && id.Role != api.RoleAuditor) {
			t.Fatalf("identity %+v", id)
		}
	})
}
