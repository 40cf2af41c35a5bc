package roomtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// send sends a request through the relay on a fresh connection and reads
// the answer whole; err is the transport's or the body's.
func send(t *testing.T, method, url, token string, body string) (int, http.Header, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Close = true
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data, err
}

func token(t *testing.T, url, apiKey string) string {
	t.Helper()
	body, _ := json.Marshal(api.TokenRequest{APIKey: apiKey})
	status, _, data, err := send(t, http.MethodPost, url+"/v1/auth/token", "", string(body))
	var tr api.TokenResponse
	if err != nil || status != http.StatusOK || json.Unmarshal(data, &tr) != nil || tr.AccessToken == "" {
		t.Fatalf("token: %d %v", status, err)
	}
	return tr.AccessToken
}

func TestFaults(t *testing.T) {
	room := Start(t, Options{})
	key := room.AddParty(t, "acme", api.RoleAdvertiser)
	f := NewFaults(t, room.URL)
	sessions := f.URL + "/v1/sessions"
	tok := token(t, f.URL, key)

	f.Inject("GET /v1/sessions", 1, Refuse(http.StatusTooManyRequests, "7"))
	status, header, data, err := send(t, http.MethodGet, sessions, tok, "")
	var body api.ErrorBody
	if err != nil || status != http.StatusTooManyRequests || header.Get("Retry-After") != "7" ||
		json.Unmarshal(data, &body) != nil || body.Error.Code != api.CodeRateLimited {
		t.Errorf("refused: %d, Retry-After %q, %s, %v", status, header.Get("Retry-After"), data, err)
	}
	if x := f.Exchanges("GET /v1/sessions"); len(x) != 1 || x[0].Relayed || !x[0].Fault {
		t.Errorf("a refused request reached the room: %+v", x)
	}

	var after []int
	f.After("GET /v1/sessions", func(x Exchange) { after = append(after, x.Status) })
	f.Inject("GET /v1/sessions", 1, Drop())
	if _, _, _, err := send(t, http.MethodGet, sessions, tok, ""); err == nil {
		t.Error("a dropped answer arrived")
	}
	f.Inject("GET /v1/sessions", 1, Truncate())
	if status, _, _, err := send(t, http.MethodGet, sessions, tok, ""); status != http.StatusOK || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut answer: %d, %v", status, err)
	}
	status, _, data, err = send(t, http.MethodGet, sessions, tok, "")
	if err != nil || status != http.StatusOK || !bytes.HasPrefix(data, []byte(`{"sessions":`)) {
		t.Errorf("after the faults: %d %s %v", status, data, err)
	}
	if len(after) != 3 || after[0] != http.StatusOK || after[1] != http.StatusOK || after[2] != http.StatusOK {
		t.Errorf("hook saw %v, want the room's three answers", after)
	}

	// A Before hook picks requests by content; the others pass.
	f.Before("POST /v1/sessions", func(x Exchange) (Fault, bool) {
		return Refuse(http.StatusServiceUnavailable, ""), bytes.Contains(x.Body, []byte("refuse-me"))
	})
	if status, _, _, _ := send(t, http.MethodPost, sessions, tok, `{"partner":"refuse-me"}`); status != http.StatusServiceUnavailable {
		t.Errorf("a request a Before hook picked: %d, want 503", status)
	}
	if status, _, _, _ := send(t, http.MethodPost, sessions, tok, `{"partner":"other"}`); status == http.StatusServiceUnavailable {
		t.Error("a Before hook refused a request it did not pick")
	}
	if x := f.Exchanges("POST /v1/sessions"); len(x) != 2 || x[0].Relayed || !x[0].Fault || !x[1].Relayed || x[1].Fault {
		t.Errorf("picked and passed requests: %+v", x)
	}

	f.RevokeTokens()
	if status, _, _, _ := send(t, http.MethodGet, sessions, tok, ""); status != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want the room's 401", status)
	}
	if status, _, _, _ := send(t, http.MethodGet, sessions, token(t, f.URL, key), ""); status != http.StatusOK {
		t.Errorf("a token issued after the revocation: %d", status)
	}
	log := f.Exchanges("")
	if last := log[len(log)-3]; !last.Relayed || last.Status != http.StatusUnauthorized {
		t.Errorf("the revoked token was not refused by the room: %d, relayed %v", last.Status, last.Relayed)
	}
}
