package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// A wrong part Content-Type is answered 400 bad_request rather than 415, so
// that every status keeps a single error code.
var errPartType = &session.RequestError{Field: "Content-Type", Reason: "must be " + api.PartContentType}

// uploadPart serves PUT .../blinded and .../reblinded: the body streams to
// the service through a reader that stops at wire.MaxPartSize.
func uploadPart(put func(context.Context, session.Principal, string, io.Reader) (api.PartReceipt, error)) partyHandler {
	return func(c *gin.Context, p session.Principal) {
		if !hasMediaType(c.GetHeader("Content-Type"), api.PartContentType) {
			fail(c, errPartType)
			return
		}
		// A declared length past the limit is refused before the service
		// reads a byte.
		if c.Request.ContentLength > wire.MaxPartSize {
			fail(c, &http.MaxBytesError{Limit: wire.MaxPartSize})
			return
		}
		body := &limitedBody{r: http.MaxBytesReader(c.Writer, c.Request.Body, wire.MaxPartSize)}
		receipt, err := put(c.Request.Context(), p, c.Param("id"), body)
		if tooLarge := body.overLimit(c.Request.ContentLength); tooLarge != nil {
			// The part is too large whatever the service made of the
			// bytes it read.
			err = tooLarge
		}
		reply(c, http.StatusOK, receipt, err)
	}
}

// limitedBody remembers whether the body went past its limit, so the
// handler does not depend on how the service wraps that error.
type limitedBody struct {
	r        io.Reader
	tooLarge *http.MaxBytesError
}

// overLimit reports whether the body is longer than its limit. A body of
// unknown length (chunked) that the service stopped reading early, say at
// a malformed header, is read on to the limit: an oversized part is
// answered 413 wherever it first goes wrong. A declared length has already
// been checked.
func (b *limitedBody) overLimit(declared int64) error {
	if b.tooLarge == nil && declared < 0 {
		io.Copy(io.Discard, b)
	}
	if b.tooLarge == nil {
		return nil
	}
	return b.tooLarge
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if e, ok := err.(*http.MaxBytesError); ok {
		b.tooLarge = e
	}
	return n, err
}

// counterpart streams part N (query parameter "part", default 0) of the
// counterpart set, with its length and the number of parts.
func (h *handler) counterpart(c *gin.Context, p session.Principal) {
	n, err := partNumber(c)
	if err != nil {
		fail(c, err)
		return
	}
	d, err := h.sessions.Counterpart(c.Request.Context(), p, c.Param("id"), n)
	if err != nil {
		fail(c, err)
		return
	}
	defer d.Body.Close()
	c.Header("Content-Type", api.PartContentType)
	c.Header("Content-Length", strconv.FormatInt(d.Size, 10))
	c.Header(api.PartCountHeader, strconv.Itoa(d.Parts))
	c.Status(http.StatusOK)
	if sent, err := io.CopyN(c.Writer, d.Body, d.Size); err != nil {
		// The status is sent; the client sees a short body, the log why.
		fail(c, fmt.Errorf("httpapi: download stopped after %d of %d bytes: %w", sent, d.Size, err))
	}
}

// maxPartDigits bounds the part query parameter: parts are numbered by a
// uint32 on the wire, and no set has a billion parts.
const maxPartDigits = 9

// partNumber parses the part query parameter: absent means 0, otherwise
// one value of decimal digits only (no sign, no spaces).
func partNumber(c *gin.Context) (int, error) {
	vals, ok := c.GetQueryArray("part")
	if !ok {
		return 0, nil
	}
	bad := &session.RequestError{Field: "part", Reason: "must be one part number (0, 1, ...)"}
	if len(vals) != 1 || vals[0] == "" || len(vals[0]) > maxPartDigits {
		return 0, bad
	}
	for _, r := range vals[0] {
		if r < '0' || r > '9' {
			return 0, bad
		}
	}
	n, err := strconv.Atoi(vals[0])
	if err != nil {
		return 0, bad
	}
	return n, nil
}
