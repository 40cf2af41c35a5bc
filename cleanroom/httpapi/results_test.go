package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// computedSession runs a session of TestRealFlow's sets (users 30..59 in
// common, all of them activated) through the API to computed.
func (e *env) computedSession() api.Session {
	e.t.Helper()
	s := e.createJoined()
	sides := []*side{newSide(e.t, "acme", s, 0, 60, 25), newSide(e.t, "news", s, 30, 100, 30)}
	for _, sd := range sides {
		for _, part := range sd.parts {
			e.put(sd.party, s.ID, "blinded", part)
		}
	}
	for _, sd := range sides {
		for _, part := range e.reblindCounterpart(sd, s.ID) {
			e.put(sd.party, s.ID, "reblinded", part)
		}
	}
	e.awaitComputed("acme", s.ID)
	return s
}

// results GETs party's results and checks the response is what c.JSON
// gave before results were streamed: 200, Gin's JSON Content-Type, a
// body that is encoding/json's encoding of its values (and that
// encoding/json would not change as a json.RawMessage); and now its
// length too.
func (e *env) results(party, id string) ([]byte, api.Results) {
	e.t.Helper()
	rec := e.as(party, request(http.MethodGet, "/v1/sessions/"+id+"/results", "", nil))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("%s results: %d %s", party, rec.Code, rec.Body)
	}
	body := rec.Body.Bytes()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		e.t.Errorf("%s results: Content-Type %q", party, ct)
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		e.t.Errorf("%s results: Content-Length %q for %d bytes", party, cl, len(body))
	}
	var r api.Results
	if err := json.Unmarshal(body, &r); err != nil {
		e.t.Fatal(err)
	}
	again, err := json.Marshal(r)
	if err != nil || !bytes.Equal(again, body) {
		e.t.Fatalf("%s results are not encoding/json's encoding of their values:\n%s\nre-encoded\n%s", party, body, again)
	}
	if raw, _ := json.Marshal(json.RawMessage(body)); !bytes.Equal(raw, body) {
		e.t.Fatalf("%s results are not as c.JSON would have sent them", party)
	}
	return body, r
}

// resultObjects lists the files of a session's results objects.
func (e *env) resultObjects(id string) []string {
	e.t.Helper()
	files, err := filepath.Glob(filepath.Join(e.dataDir, "results", id, "*.json"))
	if err != nil {
		e.t.Fatal(err)
	}
	return files
}

// TestRealResults: results are streamed from the blob store as the JSON
// c.JSON sent before, with their length; results a store holds inline
// (written before result objects) are served the same; a results object
// the blob store lost is a 500 with the fixed internal-error body, and
// the log says why.
func TestRealResults(t *testing.T) {
	e := newRealEnv(t)
	s := e.computedSession()
	advBody, ra := e.results("acme", s.ID)
	newsBody, rn := e.results("news", s.ID)
	if ra.Overlap == nil || *ra.Overlap != 30 || rn.Activation == nil || len(rn.Activation.Records) != 30 {
		t.Fatalf("overlap %v, activation %+v; want 30 and 30 records", ra.Overlap, rn.Activation)
	}
	objects := e.resultObjects(s.ID)
	if len(objects) != 2 {
		t.Fatalf("results objects %q, want one per party", objects)
	}
	for _, o := range objects {
		got, err := os.ReadFile(o)
		if err != nil {
			t.Fatal(err)
		}
		if want := advBody; strings.Contains(filepath.Base(o), "media_partner") {
			want = newsBody
			if !bytes.Equal(got, want) {
				t.Fatalf("object %s is not the partner's results served", o)
			}
		} else if !bytes.Equal(got, want) {
			t.Fatalf("object %s is not the advertiser's results served", o)
		}
	}

	// A store written before result objects: the JSON is in the row.
	ctx := context.Background()
	err := e.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.SetResults(ctx, s.ID, store.Result{Inline: advBody}, store.Result{Inline: newsBody})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objects {
		if err := os.Remove(o); err != nil {
			t.Fatal(err)
		}
	}
	for party, want := range map[string][]byte{"acme": advBody, "news": newsBody} {
		if got, _ := e.results(party, s.ID); !bytes.Equal(got, want) {
			t.Fatalf("%s inline results served as\n%s\nwant\n%s", party, got, want)
		}
	}

	// A row that names an object the blob store does not have.
	lost := "results/" + s.ID + "/media_partner-0000000000000000.json"
	err = e.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.SetResults(ctx, s.ID, store.Result{Inline: advBody}, store.Result{Blob: lost, Size: 100})
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := e.as("news", request(http.MethodGet, "/v1/sessions/"+s.ID+"/results", "", nil))
	var body api.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != http.StatusInternalServerError || body.Error.Code != api.CodeInternal {
		t.Fatalf("results of a lost object: %d %s, want 500 %s", rec.Code, rec.Body, api.CodeInternal)
	}
	if strings.Contains(rec.Body.String(), lost) {
		t.Errorf("the error body names the object: %s", rec.Body)
	}
	if !strings.Contains(e.logs.String(), "not found") {
		t.Errorf("the log does not say the object is missing:\n%s", e.logs.String())
	}
	if got, _ := e.results("acme", s.ID); !bytes.Equal(got, advBody) {
		t.Fatal("the advertiser's inline results changed")
	}

	// An object shorter than its row says: the answer has started when
	// the copy runs short, so the client gets fewer bytes than
	// Content-Length announced (which it reports as a cut body) and the
	// log says why.
	if err := os.WriteFile(filepath.Join(e.dataDir, filepath.FromSlash(lost)), newsBody[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	// Served without e.do's checks: a cut body matches no description.
	req := request(http.MethodGet, "/v1/sessions/"+s.ID+"/results", "", nil)
	req.Header.Set("Authorization", "Bearer "+e.token("news"))
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Length") != "100" || rec.Body.Len() != 10 {
		t.Fatalf("results of a short object: Content-Length %q, %d bytes; want 100 announced and 10 sent",
			rec.Header().Get("Content-Length"), rec.Body.Len())
	}
	if !strings.Contains(e.logs.String(), "results stopped after 10 of 100 bytes") {
		t.Errorf("the log does not say the results were cut:\n%s", e.logs.String())
	}

	// An empty object: the copy fails before its first byte, yet the
	// answer has started all the same; no error body goes out under the
	// results' Content-Length.
	if err := os.WriteFile(filepath.Join(e.dataDir, filepath.FromSlash(lost)), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Length") != "100" || rec.Body.Len() != 0 {
		t.Fatalf("results of an empty object: %d, Content-Length %q, body %q; want 200, 100 announced and nothing sent",
			rec.Code, rec.Header().Get("Content-Length"), rec.Body)
	}

	// A row that records a negative size: refused before anything is sent.
	err = e.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return tx.SetResults(ctx, s.ID, store.Result{Inline: advBody}, store.Result{Blob: lost, Size: -1})
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec := e.as("news", request(http.MethodGet, "/v1/sessions/"+s.ID+"/results", "", nil)); rec.Code != http.StatusInternalServerError {
		t.Fatalf("results recorded with a negative size: %d %s, want 500", rec.Code, rec.Body)
	}
}
