package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

func (h *handler) listSessions(c *gin.Context, p session.Principal) {
	list, err := h.sessions.List(c.Request.Context(), p)
	if list == nil {
		list = []api.Session{} // "sessions": [], never null
	}
	reply(c, http.StatusOK, api.SessionList{Sessions: list}, err)
}

func (h *handler) createSession(c *gin.Context, p session.Principal) {
	var req api.CreateSessionRequest
	if err := h.decodeJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	s, err := h.sessions.Create(c.Request.Context(), p, req)
	if err == nil {
		c.Header("Location", "/v1/sessions/"+url.PathEscape(s.ID))
	}
	reply(c, http.StatusCreated, s, err)
}

func (h *handler) joinSession(c *gin.Context, p session.Principal) {
	var req api.JoinRequest
	if err := h.decodeJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	s, err := h.sessions.Join(c.Request.Context(), p, c.Param("id"), req)
	reply(c, http.StatusOK, s, err)
}

// withID serves the routes that take nothing but the session id and answer
// with one JSON value.
func withID[T any](f func(context.Context, session.Principal, string) (T, error)) partyHandler {
	return func(c *gin.Context, p session.Principal) {
		v, err := f(c.Request.Context(), p, c.Param("id"))
		reply(c, http.StatusOK, v, err)
	}
}

// jsonContentType is the Content-Type of every JSON answer (what Gin's
// c.JSON writes).
const jsonContentType = "application/json; charset=utf-8"

// results streams the caller's stored results, the JSON of api.Results
// byte for byte as stored (which is what encoding/json wrote, so the
// answer is the one c.JSON would give), with its length.
func (h *handler) results(c *gin.Context, p session.Principal) {
	f, err := h.sessions.Results(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	defer f.Body.Close()
	// Results may reach gigabytes, and the server's write timeout suits
	// one part (DefaultTimeouts): the deadline grows with the size, at the
	// rate those timeouts allow a part. A connection that refuses it
	// keeps the server's timeout.
	parts := (f.Size + wire.MaxPartSize - 1) / wire.MaxPartSize
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(DefaultTimeouts.Write * time.Duration(max(1, parts))))
	c.Header("Content-Type", jsonContentType)
	c.Header("Content-Length", strconv.FormatInt(f.Size, 10))
	c.Status(http.StatusOK)
	// Sent now, so that a failure before the first byte is not answered
	// with an error body under the results' Content-Length.
	c.Writer.WriteHeaderNow()
	if sent, err := io.CopyN(c.Writer, f.Body, f.Size); err != nil {
		// The status is sent; the client sees a short body, the log why.
		fail(c, fmt.Errorf("httpapi: results stopped after %d of %d bytes: %w", sent, f.Size, err))
	}
}
