package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// partnerResults is the body of the clean room's one 200 answer to the
// media partner's GET of its results.
func partnerResults(t *testing.T, e *env) []byte {
	t.Helper()
	var found [][]byte
	for _, x := range e.relay.Exchanges("GET /v1/sessions/" + e.session.ID + "/results") {
		if x.Status == http.StatusOK && x.Header.Get("User-Agent") == agentOf[api.RoleMediaPartner] {
			found = append(found, x.Response)
		}
	}
	if len(found) != 1 {
		t.Fatalf("the media partner fetched its results %d times", len(found))
	}
	return found[0]
}

// TestResultsFileAsReleased: results.json holds the bytes the clean room
// sent and a newline, which is what the flow wrote before it streamed
// them (json.Marshal of the decoded results): the room writes results as
// encoding/json does. No scratch file outlives the run.
func TestResultsFileAsReleased(t *testing.T) {
	e := newEnv(t, testPolicy, 500)
	runBoth(t, context.Background(), e.options(t, api.RoleAdvertiser), e.options(t, api.RoleMediaPartner))
	sent := partnerResults(t, e)
	var res api.Results
	if err := json.Unmarshal(sent, &res); err != nil {
		t.Fatal(err)
	}
	reencoded, _ := json.Marshal(res)
	file, err := os.ReadFile(filepath.Join(e.partnerDir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, append(sent, '\n')) || !bytes.Equal(sent, reencoded) {
		t.Fatalf("results.json (%d bytes) is not the %d bytes sent (re-encoded: %d bytes) and a newline", len(file), len(sent), len(reencoded))
	}
	if res.Activation == nil || len(res.Activation.Records) < 100 {
		t.Fatalf("the test session released %v", res.Activation)
	}
	checkNoScratch(t, e.partnerDir)
}

// checkNoScratch fails if dir holds a scratch directory or a temporary
// output file.
func checkNoScratch(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, f := range entries {
		if strings.HasPrefix(f.Name(), ".") {
			t.Errorf("%s left behind in the output directory", f.Name())
		}
	}
}

// rewritingRoom is a server in front of the test relay that answers the
// media partner's GET of its results with rewrite of the clean room's
// answer: a clean room gone wrong, or hostile.
func rewritingRoom(t *testing.T, e *env, rewrite func([]byte) []byte) *client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet || !strings.HasSuffix(req.URL.Path, "/results") {
			e.relay.ServeHTTP(w, req)
			return
		}
		rec := httptest.NewRecorder()
		e.relay.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			body = rewrite(body)
		}
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := client.New(client.Config{BaseURL: srv.URL, APIKey: client.Secret(e.partnerKey), UserAgent: agentOf[api.RoleMediaPartner], Sleep: fastSleep})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// replaceFirst replaces the first match of re in the body.
func replaceFirst(re, with string) func([]byte) []byte {
	r := regexp.MustCompile(re)
	return func(b []byte) []byte {
		loc := r.FindIndex(b)
		if loc == nil {
			panic("test: " + re + " not in the results")
		}
		return append(append(bytes.Clone(b[:loc[0]]), with...), b[loc[1]:]...)
	}
}

// TestHostileResults: whatever a clean room answers instead of the
// results it computed, the media partner's run fails with an error that
// says what is wrong, and writes neither results.json nor activation.csv.
func TestHostileResults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite func([]byte) []byte
		want    error
		says    string
	}{
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, ErrBadSession, "cut short"},
		{"oversized", func(b []byte) []byte {
			// More than results with one record per uploaded row can be.
			return append(bytes.Clone(b), bytes.Repeat([]byte(" "), int(api.ResultsSizeLimit(2000)))...)
		}, client.ErrResponse, "larger than"},
		{"wrong type", replaceFirst(`"overlap":\d+`, `"overlap":"12"`), ErrBadSession, "cannot unmarshal"},
		{"unknown field", replaceFirst(`^\{`, `{"rows":[1,2],`), ErrBadSession, `unknown field "rows"`},
		{"repeated field", replaceFirst(`^\{`, `{"role":"media_partner",`), ErrBadSession, "twice"},
		{"record index out of range", replaceFirst(`"record":\d+`, `"record":1999`), ErrBadSession, "record 1999 of an upload of"},
		{"record released twice", replaceFirst(`\{"record":\d+,"segments":\[[0-9,]*\]\}`, `{"record":1,"segments":[0]},{"record":1,"segments":[0]}`), ErrBadSession, "twice"},
		{"bad segment index", replaceFirst(`"segments":\[\d+\]`, `"segments":[9]`), ErrBadSession, "invalid segment (9 of"},
		{"segments out of order", replaceFirst(`"segments":\[0`, `"segments":[2,0`), ErrBadSession, "out of order"},
		{"results of the other role", replaceFirst(`"role":"media_partner"`, `"role":"advertiser"`), ErrBadSession, "for role"},
		{"data after the results", func(b []byte) []byte { return append(bytes.Clone(b), "{}"...) }, ErrBadSession, "data after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, testPolicy, 0)
			po := e.options(t, api.RoleMediaPartner)
			po.Client = rewritingRoom(t, e, tc.rewrite)
			_, _, aerr, perr := runPair(context.Background(), e.options(t, api.RoleAdvertiser), po)
			if aerr != nil && !errors.Is(aerr, context.Canceled) { // the partner's failure stops it
				t.Fatalf("advertiser: %v", aerr)
			}
			if !errors.Is(perr, tc.want) || !strings.Contains(perr.Error(), tc.says) {
				t.Fatalf("media partner: %v; want %v saying %q", perr, tc.want, tc.says)
			}
			for _, f := range []string{ResultsFile, activationFile, summaryFile} {
				if _, err := os.Stat(filepath.Join(e.partnerDir, f)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s written (%v)", f, err)
				}
			}
			checkNoScratch(t, e.partnerDir)
		})
	}
}
