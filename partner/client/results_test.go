package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

const resultsBody = `{"session_id":"s1","role":"media_partner","activation":{"segments":["a"],"records":[{"record":1,"segments":[0]},{"record":2,"segments":[0]}]}}`

// resultsServer answers GET /v1/sessions/s1/results with the bodies of
// answers in turn (the last one again after them); a body that ends with
// "!" is sent with a Content-Length one byte longer and the connection
// cut, as a broken connection leaves it.
func resultsServer(t *testing.T, answers ...string) *testServer {
	s := newTestServer(t)
	n := 0
	s.mux.HandleFunc("GET /v1/sessions/s1/results", s.authed(func(w http.ResponseWriter, r *http.Request) {
		body := answers[min(n, len(answers)-1)]
		n++
		cut := strings.HasSuffix(body, "!")
		body = strings.TrimSuffix(body, "!")
		length := len(body)
		if cut {
			length++
		}
		w.Header().Set("Content-Length", strconv.Itoa(length))
		w.Write([]byte(body))
	}))
	return s
}

// TestDownloadResults: the body lands in the file as sent; a body cut
// short is fetched again and written from the file's start, not after
// what the first attempt wrote.
func TestDownloadResults(t *testing.T) {
	s := resultsServer(t, resultsBody[:40]+"!", resultsBody)
	c, _ := newTestClient(t, s, nil)
	f, err := os.Create(filepath.Join(t.TempDir(), "results"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(strings.Repeat("left over from before ", 20)) // longer than the results
	n, err := c.DownloadResults(context.Background(), "s1", f, api.ResultsSizeLimit(2))
	got, _ := os.ReadFile(f.Name())
	if err != nil || string(got) != resultsBody || n != int64(len(resultsBody)) {
		t.Fatalf("DownloadResults = %d, %v; file %q", n, err, got)
	}
	if s.count("GET /v1/sessions/s1/results") != 2 {
		t.Errorf("%d requests, want the cut one and one more", s.count("GET /v1/sessions/s1/results"))
	}
}

// TestDownloadResultsLimit: a body over the limit is refused once, not
// retried; one at the limit passes.
func TestDownloadResultsLimit(t *testing.T) {
	s := resultsServer(t, resultsBody)
	c, _ := newTestClient(t, s, nil)
	f, _ := os.Create(filepath.Join(t.TempDir(), "results"))
	defer f.Close()
	if _, err := c.DownloadResults(context.Background(), "s1", f, int64(len(resultsBody))-1); !errors.Is(err, ErrResponse) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("over the limit: %v", err)
	}
	if s.count("GET /v1/sessions/s1/results") != 1 {
		t.Errorf("an oversized body was fetched %d times", s.count("GET /v1/sessions/s1/results"))
	}
	if _, err := c.DownloadResults(context.Background(), "s1", f, int64(len(resultsBody))); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

// TestResultsCounts: Results reads the results as they arrive, keeps no
// activation record, counts them, and refuses what ReadResults refuses
// without retrying.
func TestResultsCounts(t *testing.T) {
	c, _ := newTestClient(t, resultsServer(t, resultsBody), nil)
	res, n, err := c.Results(context.Background(), "s1")
	if err != nil || n != 2 || res.Role != api.RoleMediaPartner || len(res.Activation.Records) != 0 || res.Activation.Segments[0] != "a" {
		t.Fatalf("Results = %+v, %d, %v", res, n, err)
	}
	s := resultsServer(t, strings.Replace(resultsBody, `"role"`, `"Role"`, 1))
	c, _ = newTestClient(t, s, nil)
	if _, _, err := c.Results(context.Background(), "s1"); !errors.Is(err, ErrResponse) || !errors.Is(err, api.ErrResultsJSON) {
		t.Fatalf("case-folded field: %v", err)
	}
	if s.count("GET /v1/sessions/s1/results") != 1 {
		t.Errorf("a refused body was fetched %d times", s.count("GET /v1/sessions/s1/results"))
	}
}

// TestResultsDeadline: a results download gets the part timeout for every
// part's worth of bytes it may carry, so that results of gigabytes do
// not meet the deadline of a JSON call (or of one part) half-way.
func TestResultsDeadline(t *testing.T) {
	c := &Client{cfg: Config{RequestTimeout: time.Second, PartTimeout: time.Minute}}
	for _, tc := range []struct {
		cl   call
		want time.Duration
	}{
		{call{}, time.Second},
		{call{stream: true}, time.Minute},
		{call{sink: func(io.Reader) error { return nil }, limit: 10}, time.Minute},
		{call{sink: func(io.Reader) error { return nil }, limit: 3*wire.MaxPartSize - 1}, 3 * time.Minute},
		{call{sink: func(io.Reader) error { return nil }, limit: api.MaxResultsSize}, 64 * time.Minute},
	} {
		if got := tc.cl.timeout(c); got != tc.want {
			t.Errorf("timeout of a call with limit %d (sink %t, stream %t) = %v, want %v", tc.cl.limit, tc.cl.sink != nil, tc.cl.stream, got, tc.want)
		}
	}
}
