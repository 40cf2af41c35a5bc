package httpapi

import (
	"context"
	_ "embed"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// readyTimeout bounds the readiness check, so a stuck store makes /readyz
// fail rather than hang.
const readyTimeout = 2 * time.Second

// status is the body of the health endpoints.
type status struct {
	Status string `json:"status"`
}

// healthz says the process serves HTTP (liveness).
func (h *handler) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, status{Status: "ok"})
}

// readyz says the service and its store can serve requests (readiness).
func (h *handler) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	if h.draining() {
		answer(c, errUnavailable, errDraining)
		return
	}
	if err := h.ready(ctx); err != nil {
		answer(c, errUnavailable, errors.Join(errNotReady, err))
		return
	}
	c.JSON(http.StatusOK, status{Status: "ok"})
}

var (
	errNotReady = errors.New("httpapi: not ready")
	errDraining = errors.New("httpapi: draining: the process is shutting down")
)

// unlessDraining refuses new uploads on a draining process with a 503,
// which the parties retry (through another replica behind a load
// balancer): an upload of up to 64 MiB could outlast the shutdown grace.
func (h *handler) unlessDraining(next partyHandler) partyHandler {
	return func(c *gin.Context, p session.Principal) {
		if h.draining() {
			answer(c, errUnavailable, errDraining)
			return
		}
		next(c, p)
	}
}

// jwks publishes the token-verification keys. Verifiers may cache them
// briefly; a rotation is visible within a minute.
func (h *handler) jwks(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=60")
	c.Data(http.StatusOK, "application/json", h.keys.JWKS())
}

//go:embed openapi.json
var openapiJSON []byte

// serveOpenAPI serves the API description.
func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openapiJSON)
}
