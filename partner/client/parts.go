package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

const partContentType = api.PartContentType

// Body is the body of a part upload. Open is called once per attempt and
// must produce the same bytes every time (a part is identified by its
// digest, so a retry must resend it unchanged). A reader that is also an
// io.Closer is closed after the attempt, which lets a producer goroutine
// writing into an io.Pipe stop.
type Body struct {
	// Size is the body's length in bytes, or -1 if unknown (the request is
	// then sent chunked).
	Size int64
	Open func() (io.Reader, error)
}

// BytesBody is a Body of b.
func BytesBody(b []byte) Body {
	return Body{Size: int64(len(b)), Open: func() (io.Reader, error) { return bytes.NewReader(b), nil }}
}

// ReaderAtBody is a Body of the first size bytes of r, such as a part
// spooled to a file.
func ReaderAtBody(r io.ReaderAt, size int64) Body {
	return Body{Size: size, Open: func() (io.Reader, error) { return io.NewSectionReader(r, 0, size), nil }}
}

// PutBlinded uploads one part of the caller's blinded set (wire kind
// blinded). Re-sending a part the server holds returns the same receipt.
func (c *Client) PutBlinded(ctx context.Context, id string, body Body) (api.PartReceipt, error) {
	return c.putPart(ctx, id, "/blinded", body)
}

// PutReblinded uploads one part of the caller's join digests (wire kind
// join).
func (c *Client) PutReblinded(ctx context.Context, id string, body Body) (api.PartReceipt, error) {
	return c.putPart(ctx, id, "/reblinded", body)
}

func (c *Client) putPart(ctx context.Context, id, suffix string, body Body) (api.PartReceipt, error) {
	path, err := sessionPath(id, suffix)
	if err != nil {
		return api.PartReceipt{}, err
	}
	if body.Open == nil || body.Size > wire.MaxPartSize {
		return api.PartReceipt{}, fmt.Errorf("client: PUT %s: a part body of at most %d bytes is required", path, wire.MaxPartSize)
	}
	var out api.PartReceipt
	err = c.getJSON(ctx, call{method: http.MethodPut, path: path, body: &body, auth: true}, &out)
	return out, err
}

// Download is one part of the counterpart set, streaming.
type Download struct {
	// Body is the wire part (kind elements). Read errors wrap
	// ErrInterrupted. Close it to release the connection and the part's
	// deadline.
	Body io.ReadCloser
	// Parts is how many parts the whole counterpart set has.
	Parts int
	// Size is the body's length, or -1 if the server did not say.
	Size int64
}

// maxParts bounds the part count a server may announce; no set has a
// billion parts (the server's own bound).
const maxParts = 1_000_000_000

// Counterpart opens part n of the counterpart set. The server answers 409
// wrong_state until both blinded sets are complete.
func (c *Client) Counterpart(ctx context.Context, id string, n int) (*Download, error) {
	path, err := sessionPath(id, "/counterpart")
	if err != nil {
		return nil, err
	}
	if n < 0 || n >= maxParts {
		return nil, fmt.Errorf("client: GET %s: part %d out of range", path, n)
	}
	resp, err := c.do(ctx, call{
		method: http.MethodGet, path: path, query: url.Values{"part": {strconv.Itoa(n)}},
		auth: true, stream: true,
	})
	if err != nil {
		return nil, err
	}
	parts, err := strconv.Atoi(resp.Header.Get(api.PartCountHeader))
	if err != nil || parts <= n || parts > maxParts {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: GET %s: missing or invalid %s header", ErrResponse, path, api.PartCountHeader)
	}
	if resp.ContentLength > wire.MaxPartSize {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: GET %s: part larger than %d bytes", ErrResponse, path, wire.MaxPartSize)
	}
	return &Download{Body: resp.Body, Parts: parts, Size: resp.ContentLength}, nil
}

// trackedBody remembers why a part body's producer failed, and checks its
// declared size, so the client can tell a producer failure from a network
// one.
type trackedBody struct {
	r    io.Reader
	size int64
	n    int64
	err  error
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF && b.size >= 0 && b.n != b.size:
		b.err = fmt.Errorf("%w: %d bytes, declared %d", ErrBodyLength, b.n, b.size)
		err = b.err
	case err != nil && err != io.EOF && b.err == nil:
		b.err = err
	}
	return n, err
}

func (b *trackedBody) Close() error {
	if c, ok := b.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
