package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// statusClientClosed is what the access log and the metrics record for a
// request whose client went away before the server could answer (nginx's
// 499): whatever failed afterwards failed because the request's context
// was canceled, and is not a server error.
const statusClientClosed = 499

// codeClientCanceled is the log's code for such a request; it is never
// sent (nobody is listening).
const codeClientCanceled = "client_canceled"

// unmatchedRoute labels requests that matched no route, so that metrics and
// logs never carry a raw path chosen by the client.
const unmatchedRoute = "unmatched"

// observe writes one access log line and the request metrics after the
// request has been served.
func (h *handler) observe(c *gin.Context) {
	start := h.now()
	c.Next()
	elapsed := h.now().Sub(start)

	route := c.FullPath()
	if route == "" {
		route = unmatchedRoute
	}
	status := c.Writer.Status()
	code := c.GetString(ctxCode)
	if status >= http.StatusInternalServerError && clientGone(c.Request.Context()) {
		status, code = statusClientClosed, codeClientCanceled
	}
	h.metrics.observeRequest(c.Request.Method, route, status, elapsed)

	attrs := []slog.Attr{
		slog.String("request_id", c.GetString(ctxRequestID)),
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.Int("bytes_out", max(c.Writer.Size(), 0)),
	}
	if party := c.GetString(ctxParty); party != "" {
		attrs = append(attrs, slog.String("party", party))
	}
	if id := c.Param("id"); id != "" && sessionRecognized(status) {
		attrs = append(attrs, slog.String("session", id))
	}
	if code != "" {
		attrs = append(attrs, slog.String("code", code))
	}
	level := slog.LevelInfo
	if err, ok := c.Get(ctxError); ok {
		attrs = append(attrs, slog.Any("error", err))
		// An error under a success status broke a response already
		// under way.
		if status < http.StatusBadRequest {
			level = slog.LevelError
		}
	}
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	h.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

// clientGone reports whether the request's context was canceled, which
// net/http does when the client closes the connection (or the HTTP/2
// stream) before the response. A deadline of the server's own is not the
// client's doing, and stays an error.
func clientGone(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

// sessionRecognized reports whether a response shows that the service took
// the path's session id for a session of the caller's. Other ids came from
// the client unchecked and could be anything, so they are not logged.
func sessionRecognized(status int) bool {
	return status < http.StatusBadRequest || status == http.StatusConflict || status == http.StatusUnprocessableEntity
}
