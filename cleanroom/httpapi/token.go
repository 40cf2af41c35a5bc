package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// token exchanges an API key for an access token (POST /v1/auth/token).
// Anyone can call it, so it is rate-limited per client address.
func (h *handler) token(c *gin.Context) {
	if !allow(c, h.tokenReq, clientKey(c.Request.RemoteAddr)) {
		return
	}
	var req api.TokenRequest
	if err := h.decodeJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	p, err := h.parties.Authenticate(c.Request.Context(), req.APIKey)
	if err != nil {
		h.metrics.authFailures.WithLabelValues(failureReason(err)).Inc()
		fail(c, err)
		return
	}
	c.Set(ctxParty, p.Party)
	tok, ttl, err := h.tokens.Issue(p.Party, p.Role)
	if err != nil {
		fail(c, err)
		return
	}
	// RFC 6749 section 5.1: responses carrying tokens are not cached.
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, api.TokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(ttl / time.Second)})
}
