package httpapi

import (
	"crypto/rand"

	"github.com/gin-gonic/gin"
)

// RequestIDHeader carries the request id back to the client.
const RequestIDHeader = "X-Request-Id"

// requestID gives every request a fresh random id, logs it and echoes it in
// the response so a client can quote it when reporting a problem. A
// client-sent id is ignored, never adopted: the id is logged, and no check
// of its form can tell a trace id from a mobile ad ID (a UUID) or a hashed
// email (64 hex digits) that a confused client put there.
func requestID(c *gin.Context) {
	id := rand.Text()
	c.Set(ctxRequestID, id)
	c.Header(RequestIDHeader, id)
	c.Next()
}
