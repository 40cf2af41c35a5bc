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
