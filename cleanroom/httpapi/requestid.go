package httpapi

import (
	"crypto/rand"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

const maxRequestIDLen = 64

// requestID adopts the client's request id when it has a safe form and
// otherwise makes one, then echoes it in the response.
func requestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !validRequestID(id) {
		id = rand.Text()
	}
	c.Set(ctxRequestID, id)
	c.Header(RequestIDHeader, id)
	c.Next()
}

// validRequestID accepts up to 64 letters, digits, '-' and '_'. The id is
// logged, so the form excludes what a confused client might send there
// instead: an access token (JWTs contain dots) or an API key (its prefix).
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen || strings.HasPrefix(id, auth.APIKeyPrefix) {
		return false
	}
	for _, r := range id {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
