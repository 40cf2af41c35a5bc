package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/ratelimit"
)

// handler holds the dependencies every route needs.
type handler struct {
	sessions Sessions
	parties  Parties
	tokens   Tokens
	keys     KeySet
	ready    func(ctx context.Context) error
	draining func() bool
	log      *slog.Logger
	now      func() time.Time
	metrics  *metrics
	create   *ratelimit.Limiter
	parts    *ratelimit.Limiter
	tokenReq *ratelimit.Limiter // per client address
	// jsonRead bounds reading a JSON body (see Config.JSONReadTimeout).
	jsonRead time.Duration
}

// NewHandler returns the clean room's HTTP API, and apart from it the
// Prometheus metrics of that API (GET /metrics). The metrics carry no
// credentials check of their own, and show authentication failures by
// reason, traffic by route and sessions by state: serve them on a listener
// only the operator's monitoring reaches, never beside the API.
func NewHandler(cfg Config) (api, metrics http.Handler, err error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	create, err := ratelimit.New(c.Limits.Create, c.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("httpapi: create limit: %w", err)
	}
	parts, err := ratelimit.New(c.Limits.Parts, c.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("httpapi: parts limit: %w", err)
	}
	tokenReq, err := ratelimit.New(c.Limits.Token, c.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("httpapi: token limit: %w", err)
	}
	h := &handler{
		sessions: c.Sessions,
		parties:  c.Parties,
		tokens:   c.Tokens,
		keys:     c.Keys,
		ready:    c.Ready,
		draining: c.Draining,
		log:      c.Logger,
		now:      c.Now,
		metrics:  newMetrics(c.StateCounts, c.Elements, c.Ops),
		create:   create,
		parts:    parts,
		tokenReq: tokenReq,
		jsonRead: c.JSONReadTimeout,
	}
	return h.router(), h.metricsHandler(), nil
}

// metricsHandler serves GET /metrics and answers 404 to everything else.
func (h *handler) metricsHandler() http.Handler {
	return metricsMux(h.metrics.registry, h.log)
}

func (h *handler) router() *gin.Engine {
	// Release mode stops Gin printing its routes and warnings to stdout;
	// this package is Gin's only user, so the global switch is ours.
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// An API has one spelling per route: no redirects to a "fixed" path.
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.Use(requestID, h.observe, h.recoverPanic)
	r.NoRoute(func(c *gin.Context) { answer(c, errNotFound, nil) })

	r.GET("/healthz", h.healthz)
	r.GET("/readyz", h.readyz)
	r.GET("/openapi.json", serveOpenAPI)
	r.GET("/.well-known/jwks.json", h.jwks)

	v1 := r.Group("/v1")
	v1.POST("/auth/token", h.token)
	v1.GET("/sessions", h.authed(h.listSessions))
	v1.POST("/sessions", h.authed(h.limited(h.create, h.createSession)))
	v1.GET("/sessions/:id", h.authed(withID(h.sessions.Get)))
	v1.DELETE("/sessions/:id", h.authed(withID(h.sessions.Delete)))
	v1.POST("/sessions/:id/join", h.authed(h.joinSession))
	v1.PUT("/sessions/:id/blinded", h.authed(h.unlessDraining(h.limited(h.parts, uploadPart(h.sessions.PutBlinded)))))
	v1.GET("/sessions/:id/counterpart", h.authed(h.limited(h.parts, h.counterpart)))
	v1.PUT("/sessions/:id/reblinded", h.authed(h.unlessDraining(h.limited(h.parts, uploadPart(h.sessions.PutReblinded)))))
	v1.GET("/sessions/:id/results", h.authed(h.results))
	v1.GET("/sessions/:id/transcript", h.authed(withID(h.sessions.Transcript)))
	return r
}
