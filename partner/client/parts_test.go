package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// partSink accepts part uploads, failing the first `fail` with 503, and
// records the SHA-256 of every body it read whole.
type partSink struct {
	mu      sync.Mutex
	fail    int
	digests [][32]byte
	types   []string
	lengths []int64
}

func (p *partSink) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusBadRequest, api.CodeInvalidPart, "the part is malformed")
		return
	}
	p.digests = append(p.digests, sha256.Sum256(body))
	p.types = append(p.types, r.Header.Get("Content-Type"))
	p.lengths = append(p.lengths, r.ContentLength)
	if p.fail > 0 {
		p.fail--
		writeError(w, http.StatusServiceUnavailable, api.CodeUnavailable, "retry later")
		return
	}
	writeJSON(w, http.StatusOK, api.PartReceipt{Part: 0, Records: uint64(len(body)), Final: true})
}

// pipeBody streams data through an io.Pipe, like the flows' producers,
// and counts how often it was opened.
func pipeBody(data []byte, size int64, opens *atomic.Int32, fail func(attempt int32) error) Body {
	return Body{Size: size, Open: func() (io.Reader, error) {
		attempt := opens.Add(1)
		pr, pw := io.Pipe()
		go func() {
			for off := 0; off < len(data); off += 1000 {
				if _, err := pw.Write(data[off:min(off+1000, len(data))]); err != nil {
					return
				}
				if off == 5000 && fail != nil {
					if err := fail(attempt); err != nil {
						pw.CloseWithError(err)
						return
					}
				}
			}
			pw.Close()
		}()
		return pr, nil
	}}
}

func TestPutPartRetriedWithSameBytes(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	for _, size := range []int64{int64(len(data)), -1} {
		t.Run(fmt.Sprintf("size %d", size), func(t *testing.T) {
			s := newTestServer(t)
			sink := &partSink{fail: 2}
			s.mux.HandleFunc("PUT /v1/sessions/{id}/blinded", s.authed(sink.handle))
			c, clk := newTestClient(t, s, nil)
			var opens atomic.Int32
			rec, err := c.PutBlinded(context.Background(), "s1", pipeBody(data, size, &opens, nil))
			if err != nil {
				t.Fatal(err)
			}
			if rec.Records != uint64(len(data)) || opens.Load() != 3 || len(clk.Sleeps()) != 2 {
				t.Fatalf("receipt %+v, opens %d, sleeps %v", rec, opens.Load(), clk.Sleeps())
			}
			want := sha256.Sum256(data)
			for i, d := range sink.digests {
				if d != want || sink.types[i] != api.PartContentType || sink.lengths[i] != size {
					t.Fatalf("attempt %d: digest ok %v, type %q, length %d", i, d == want, sink.types[i], sink.lengths[i])
				}
			}
		})
	}
}

func TestPutPartProducerFailureNotRetried(t *testing.T) {
	s := newTestServer(t)
	sink := &partSink{}
	s.mux.HandleFunc("PUT /v1/sessions/{id}/reblinded", s.authed(sink.handle))
	c, clk := newTestClient(t, s, nil)
	var opens atomic.Int32
	boom := errors.New("blinding failed")
	_, err := c.PutReblinded(context.Background(), "s1", pipeBody(make([]byte, 20000), 20000, &opens, func(int32) error { return boom }))
	if !errors.Is(err, boom) || opens.Load() != 1 || len(clk.Sleeps()) != 0 {
		t.Fatalf("err %v, opens %d, sleeps %v", err, opens.Load(), clk.Sleeps())
	}
}

func TestPutPartInterruptedProducerRetried(t *testing.T) {
	s := newTestServer(t)
	sink := &partSink{}
	s.mux.HandleFunc("PUT /v1/sessions/{id}/reblinded", s.authed(sink.handle))
	c, _ := newTestClient(t, s, nil)
	var opens atomic.Int32
	data := bytes.Repeat([]byte{7}, 20000)
	fail := func(attempt int32) error {
		if attempt == 1 {
			return fmt.Errorf("%w: download cut", ErrInterrupted)
		}
		return nil
	}
	if _, err := c.PutReblinded(context.Background(), "s1", pipeBody(data, 20000, &opens, fail)); err != nil {
		t.Fatal(err)
	}
	if opens.Load() != 2 {
		t.Fatalf("opens = %d, want 2", opens.Load())
	}
}

func TestPutPartWrongDeclaredSize(t *testing.T) {
	s := newTestServer(t)
	sink := &partSink{}
	s.mux.HandleFunc("PUT /v1/sessions/{id}/blinded", s.authed(sink.handle))
	c, _ := newTestClient(t, s, nil)
	var opens atomic.Int32
	_, err := c.PutBlinded(context.Background(), "s1", pipeBody(make([]byte, 9000), 10000, &opens, nil))
	if !errors.Is(err, ErrBodyLength) || opens.Load() != 1 {
		t.Fatalf("err %v after %d opens", err, opens.Load())
	}
}

func TestBodies(t *testing.T) {
	data := []byte("part bytes")
	for name, b := range map[string]Body{"bytes": BytesBody(data), "readerAt": ReaderAtBody(bytes.NewReader(data), int64(len(data)))} {
		for range 2 { // every Open starts over
			r, _ := b.Open()
			got, _ := io.ReadAll(r)
			if !bytes.Equal(got, data) || b.Size != int64(len(data)) {
				t.Errorf("%s: %q size %d", name, got, b.Size)
			}
		}
	}
}

func TestCounterpartStreamsWithPartCount(t *testing.T) {
	data := bytes.Repeat([]byte("element-bytes-32-long..........."), 1000)
	s := newTestServer(t)
	h, n := failing([]int{503}, "", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("part") != "1" {
			writeError(w, 400, api.CodeBadRequest, "wrong part")
			return
		}
		w.Header().Set("Content-Type", api.PartContentType)
		w.Header().Set(api.PartCountHeader, "3")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Write(data)
	})
	s.mux.HandleFunc("GET /v1/sessions/{id}/counterpart", s.authed(h))
	c, _ := newTestClient(t, s, nil)
	d, err := c.Counterpart(context.Background(), "s1", 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(d.Body)
	d.Body.Close()
	if err != nil || !bytes.Equal(got, data) || d.Parts != 3 || d.Size != int64(len(data)) || n.Load() != 2 {
		t.Fatalf("err %v, equal %v, parts %d, size %d, requests %d", err, bytes.Equal(got, data), d.Parts, d.Size, n.Load())
	}
}

func TestCounterpartBadPartCount(t *testing.T) {
	for _, hdr := range []string{"", "x", "-1", "1", "2000000000"} {
		s := newTestServer(t)
		s.mux.HandleFunc("GET /v1/sessions/{id}/counterpart", s.authed(func(w http.ResponseWriter, r *http.Request) {
			if hdr != "" {
				w.Header().Set(api.PartCountHeader, hdr)
			}
			w.Write([]byte("x"))
		}))
		c, _ := newTestClient(t, s, nil)
		if _, err := c.Counterpart(context.Background(), "s1", 1); !errors.Is(err, ErrResponse) {
			t.Errorf("header %q: err = %v, want ErrResponse", hdr, err)
		}
	}
}

func TestCounterpartCutShortIsInterrupted(t *testing.T) {
	s := newTestServer(t)
	s.mux.HandleFunc("GET /v1/sessions/{id}/counterpart", s.authed(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(api.PartCountHeader, "1")
		w.Header().Set("Content-Length", "100000")
		w.Write(make([]byte, 5000))
		// The handler returns early: the server closes the connection.
	}))
	c, _ := newTestClient(t, s, nil)
	d, err := c.Counterpart(context.Background(), "s1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	if _, err := io.ReadAll(d.Body); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
}

// A cut download stays ErrInterrupted when a wire.Reader reads it:
// wire takes io.ErrUnexpectedEOF for a corrupt, truncated part, and the
// flow would give up on the counterpart instead of fetching it again.
func TestCounterpartCutShortIsInterruptedForWire(t *testing.T) {
	recs := make([][]byte, 100)
	for i := range recs {
		recs[i] = make([]byte, wire.ElementSize)
	}
	part := bytes.NewBuffer(wiretest.Part(t, wire.Header{Kind: wire.KindElements, Final: true}, recs))
	s := newTestServer(t)
	s.mux.HandleFunc("GET /v1/sessions/{id}/counterpart", s.authed(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(api.PartCountHeader, "1")
		w.Header().Set("Content-Length", strconv.Itoa(part.Len()))
		w.Write(part.Bytes()[:part.Len()/2])
	}))
	c, _ := newTestClient(t, s, nil)
	d, err := c.Counterpart(context.Background(), "s1", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	rd, err := wire.NewReader(d.Body)
	for err == nil {
		_, err = rd.Next()
	}
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
}

func TestSessionIDEscaped(t *testing.T) {
	s := newTestServer(t)
	c, _ := newTestClient(t, s, nil)
	for _, id := range []string{"", ".", ".."} {
		if _, err := c.Session(context.Background(), id); !errors.Is(err, ErrSessionID) {
			t.Errorf("id %q: err = %v", id, err)
		}
	}
	var got string
	s.mux.HandleFunc("GET /v1/sessions/{id}", s.authed(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		sessionHandler(w, r)
	}))
	c.Session(context.Background(), "a/b?c")
	if got != "/v1/sessions/a%2Fb%3Fc" {
		t.Fatalf("path = %q", got)
	}
}
