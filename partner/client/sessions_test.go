package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// TestRoutes checks that every method calls its route of protocol/api
// with the right verb and body.
func TestRoutes(t *testing.T) {
	s := newTestServer(t)
	var joinBody, createBody string
	s.mux.HandleFunc("GET /v1/sessions", s.authed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.SessionList{Sessions: []api.Session{{ID: "a"}, {ID: "b"}}})
	}))
	s.mux.HandleFunc("POST /v1/sessions", s.authed(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		createBody = string(b)
		writeJSON(w, 201, api.Session{ID: "new", State: api.StateCreated})
	}))
	s.mux.HandleFunc("POST /v1/sessions/{id}/join", s.authed(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		joinBody = string(b)
		writeJSON(w, 200, api.Session{ID: r.PathValue("id"), State: api.StateJoined})
	}))
	s.mux.HandleFunc("DELETE /v1/sessions/{id}", s.authed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.Session{ID: r.PathValue("id"), State: api.StatePurged})
	}))
	overlap := int64(1234)
	s.mux.HandleFunc("GET /v1/sessions/{id}/results", s.authed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.Results{SessionID: r.PathValue("id"), Overlap: &overlap})
	}))
	s.mux.HandleFunc("GET /v1/sessions/{id}/transcript", s.authed(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"events":[],"head":"x"}`))
	}))
	c, _ := newTestClient(t, s, nil)
	ctx := context.Background()

	list, err := c.ListSessions(ctx)
	if err != nil || len(list) != 2 {
		t.Errorf("ListSessions: %v %v", list, err)
	}
	sess, err := c.CreateSession(ctx, api.CreateSessionRequest{Partner: "news", MatchKey: api.MatchKeyEmail})
	var req api.CreateSessionRequest
	json.Unmarshal([]byte(createBody), &req)
	if err != nil || sess.ID != "new" || req.Partner != "news" || req.MatchKey != api.MatchKeyEmail {
		t.Errorf("CreateSession: %+v %v, sent %s", sess, err, createBody)
	}
	if sess, err := c.Join(ctx, "s1", "abc"); err != nil || sess.State != api.StateJoined || joinBody != `{"policy_hash":"abc"}` {
		t.Errorf("Join: %+v %v, sent %s", sess, err, joinBody)
	}
	if sess, err := c.Delete(ctx, "s1"); err != nil || sess.State != api.StatePurged {
		t.Errorf("Delete: %+v %v", sess, err)
	}
	if res, _, err := c.Results(ctx, "s1"); err != nil || res.Overlap == nil || *res.Overlap != overlap {
		t.Errorf("Results: %+v %v", res, err)
	}
	if tr, err := c.Transcript(ctx, "s1"); err != nil || string(tr) != `{"events":[],"head":"x"}` {
		t.Errorf("Transcript: %s %v", tr, err)
	}
}

func TestMalformedJSONResponse(t *testing.T) {
	s := newTestServer(t)
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"id": 12`))
	}))
	c, clk := newTestClient(t, s, nil)
	if _, err := c.Session(context.Background(), "s1"); err == nil || len(clk.Sleeps()) != 0 {
		t.Fatalf("err %v, sleeps %v", err, clk.Sleeps())
	}
}
