package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// fail answers with the response classify chooses for err.
func fail(c *gin.Context, err error) { answer(c, classify(err), err) }

// answer writes p as the error response and leaves err for the access log.
// If the response has already started (a download that broke off), only
// the log learns about it.
// notReadyRetryAfter is the Retry-After, in seconds, of a 503.
const notReadyRetryAfter = "1"

func answer(c *gin.Context, p problem, err error) {
	c.Set(ctxError, err)
	c.Set(ctxCode, p.detail.Code)
	if c.Writer.Written() {
		c.Abort()
		return
	}
	if p.status == http.StatusUnauthorized {
		// RFC 6750 section 3: a 401 names the scheme it expects.
		c.Header("WWW-Authenticate", `Bearer realm="blindjoin"`)
	}
	if p.status == http.StatusServiceUnavailable {
		// Work still being prepared, or a draining replica: the client
		// retries, through another replica if a load balancer is in front.
		c.Header("Retry-After", notReadyRetryAfter)
	}
	c.AbortWithStatusJSON(p.status, api.ErrorBody{Error: p.detail})
}

// reply answers with v as JSON, or with err.
func reply[T any](c *gin.Context, status int, v T, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, v)
}
