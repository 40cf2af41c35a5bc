package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/gin-gonic/gin"
)

// errPanic stands for a handler panic in the access log; the panic value
// and stack go to their own log line.
var errPanic = errors.New("httpapi: handler panicked")

// recoverPanic turns a panic in a handler into a 500 with the standard
// body instead of a dropped connection. http.ErrAbortHandler keeps its
// meaning (abort the response silently).
func (h *handler) recoverPanic(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		h.log.ErrorContext(c.Request.Context(), "panic",
			slog.String("request_id", c.GetString(ctxRequestID)),
			slog.String("panic", fmt.Sprint(v)),
			slog.String("stack", string(debug.Stack())))
		fail(c, errPanic)
	}()
	c.Next()
}
