package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/api"
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
