package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// zeros is an endless reader of zero bytes that never holds the whole
// body in memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestUploadRequiresThePartContentType(t *testing.T) {
	e := newEnv(t)
	for _, ct := range []string{"", "application/octet-stream", "application/json", "application/vnd.blindjoin.part+json", "text/plain"} {
		rec := e.as("acme", request(http.MethodPut, "/v1/sessions/s1/blinded", ct, strings.NewReader("part")))
		if d := checkErrorBody(t, rec); rec.Code != http.StatusBadRequest || d.Message != "invalid Content-Type: must be "+api.PartContentType {
			t.Errorf("Content-Type %q: %d %q", ct, rec.Code, d.Message)
		}
	}
	if n := e.sessions.callCount(); n != 0 {
		t.Fatalf("service called %d times", n)
	}
	rec := e.as("acme", request(http.MethodPut, "/v1/sessions/s1/blinded", api.PartContentType+"; v=1", strings.NewReader("part")))
	if rec.Code != http.StatusOK {
		t.Fatalf("with a parameter: %d %s", rec.Code, rec.Body)
	}
}

// TestOversizedPartIs413 sends wire.MaxPartSize+1 bytes three ways: with
// a declared length (refused before the service runs), streamed without a
// length to a service that reads everything and claims success, and to a
// service that reports the read error as a malformed part.
func TestOversizedPartIs413(t *testing.T) {
	e := newEnv(t)
	oversized := func() io.Reader { return io.LimitReader(zeros{}, wire.MaxPartSize+1) }

	req := request(http.MethodPut, "/v1/sessions/s1/blinded", api.PartContentType, oversized())
	req.ContentLength = wire.MaxPartSize + 1
	if rec := e.as("acme", req); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared length: %d", rec.Code)
	}
	if n := e.sessions.callCount(); n != 0 {
		t.Fatalf("service called for a declared oversize body")
	}

	var read int64
	e.sessions.put = func(body io.Reader) (api.PartReceipt, error) {
		read, _ = io.Copy(io.Discard, body)
		return receiptReader(strings.NewReader(""))
	}
	req = request(http.MethodPut, "/v1/sessions/s1/reblinded", api.PartContentType, oversized())
	req.ContentLength = -1 // chunked
	if rec := e.as("acme", req); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("streamed, service claims success: %d %s", rec.Code, rec.Body)
	}
	if read != wire.MaxPartSize {
		t.Fatalf("service read %d bytes, want the limit %d", read, wire.MaxPartSize)
	}

	e.sessions.put = func(body io.Reader) (api.PartReceipt, error) {
		_, err := io.Copy(io.Discard, body)
		return api.PartReceipt{}, fmt.Errorf("%w: %w", session.ErrInvalidPart, &wire.Error{Offset: wire.MaxPartSize, Err: err})
	}
	req = request(http.MethodPut, "/v1/sessions/s1/blinded", api.PartContentType, oversized())
	req.ContentLength = -1
	if rec := e.as("acme", req); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("streamed, service says malformed: %d %s", rec.Code, rec.Body)
	}
}

func TestPartOfExactlyMaxSizeIsAccepted(t *testing.T) {
	e := newEnv(t)
	req := request(http.MethodPut, "/v1/sessions/s1/blinded", api.PartContentType, io.LimitReader(zeros{}, wire.MaxPartSize))
	rec := e.as("acme", req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// TestUploadIsStreamed proves the handler does not buffer the body: the
// service sees the first megabyte while the client still holds the rest,
// which it sends only once the service has read that first megabyte.
func TestUploadIsStreamed(t *testing.T) {
	e := newEnv(t)
	const chunk = 1 << 20
	gotFirst := make(chan struct{})
	e.sessions.put = func(body io.Reader) (api.PartReceipt, error) {
		if _, err := io.ReadFull(body, make([]byte, chunk)); err != nil {
			return api.PartReceipt{}, err
		}
		close(gotFirst)
		return receiptReader(body)
	}
	srv := httptest.NewServer(e.h)
	defer srv.Close()

	pr, pw := io.Pipe()
	go func() {
		pw.Write(make([]byte, chunk))
		select {
		case <-gotFirst:
			pw.Write(make([]byte, chunk))
			pw.Close()
		case <-time.After(10 * time.Second):
			pw.CloseWithError(errors.New("the service never saw the first chunk: the body was buffered"))
		}
	}()
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/v1/sessions/s1/blinded", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", api.PartContentType)
	req.Header.Set("Authorization", "Bearer "+e.token("acme"))
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("%d %s", res.StatusCode, b)
	}
}

func TestCounterpartDownload(t *testing.T) {
	e := newEnv(t)
	var asked []int
	closed := 0
	e.sessions.download = func(n int) (session.Download, error) {
		asked = append(asked, n)
		body := bytes.Repeat([]byte{byte(n)}, 1000+n)
		return session.Download{Parts: 5, Size: int64(len(body)), Body: closer{bytes.NewReader(body), &closed}}, nil
	}
	for _, tc := range []struct {
		query string
		part  int
	}{{"", 0}, {"?part=0", 0}, {"?part=4", 4}, {"?part=000012", 12}} {
		rec := e.as("news", request(http.MethodGet, "/v1/sessions/s1/counterpart"+tc.query, "", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("%q: %d %s", tc.query, rec.Code, rec.Body)
		}
		h := rec.Header()
		if h.Get("Content-Type") != api.PartContentType || h.Get(api.PartCountHeader) != "5" ||
			h.Get("Content-Length") != fmt.Sprint(1000+tc.part) {
			t.Errorf("%q: headers %v", tc.query, h)
		}
		if !bytes.Equal(rec.Body.Bytes(), bytes.Repeat([]byte{byte(tc.part)}, 1000+tc.part)) {
			t.Errorf("%q: wrong body", tc.query)
		}
		if got := asked[len(asked)-1]; got != tc.part {
			t.Errorf("%q: service asked for part %d", tc.query, got)
		}
	}
	if closed != 4 {
		t.Errorf("%d of 4 download bodies closed", closed)
	}

	for _, q := range []string{"?part=", "?part=-1", "?part=+1", "?part=1.0", "?part=abc", "?part=%201", "?part=1&part=2", "?part=9999999999", "?part=0x1"} {
		calls := e.sessions.callCount()
		rec := e.as("news", request(http.MethodGet, "/v1/sessions/s1/counterpart"+q, "", nil))
		if d := checkErrorBody(t, rec); rec.Code != http.StatusBadRequest || !strings.HasPrefix(d.Message, "invalid part:") {
			t.Errorf("%q: %d %q", q, rec.Code, d.Message)
		}
		if e.sessions.callCount() != calls {
			t.Errorf("%q: the service was called", q)
		}
	}
}

type closer struct {
	io.Reader
	n *int
}

func (c closer) Close() error { *c.n++; return nil }

// TestBrokenDownloadIsLogged: once the status is sent, a failing body can
// only cut the response short and be logged as an error.
func TestBrokenDownloadIsLogged(t *testing.T) {
	e := newEnv(t)
	e.sessions.download = func(int) (session.Download, error) {
		return session.Download{Parts: 1, Size: 100, Body: io.NopCloser(io.MultiReader(strings.NewReader("abc"), errReader{}))}, nil
	}
	rec := e.as("news", request(http.MethodGet, "/v1/sessions/s1/counterpart", "", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "abc" {
		t.Fatalf("%d %q", rec.Code, rec.Body)
	}
	if !strings.Contains(e.logs.String(), "download stopped after 3 of 100 bytes") {
		t.Fatalf("broken download not logged:\n%s", e.logs)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errStoreDown }
