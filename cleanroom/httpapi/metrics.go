package httpapi

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// stateCountTimeout bounds the store query a scrape makes.
const stateCountTimeout = 5 * time.Second

// durationBuckets reach 10 minutes: a 64 MiB part on a slow link takes
// minutes, and its latency should land in a bucket, not in +Inf.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

// allStates are reported even when no session is in them, so that every
// series exists from the first scrape.
var allStates = []api.State{
	api.StateCreated, api.StateJoined, api.StateUploading, api.StateExchanging,
	api.StateComputed, api.StatePurged, api.StateExpired,
}

// metrics is the service's private Prometheus registry (never the global
// one, so tests and several handlers in one process do not collide).
type metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	authFailures *prometheus.CounterVec
}

func newMetrics(stateCounts func(context.Context) (map[api.State]int, error), elements func() uint64, ops *OpsMetrics) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blindjoin_http_requests_total",
			Help: "HTTP requests served, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "blindjoin_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by method and route template.",
			Buckets: durationBuckets,
		}, []string{"method", "route"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "blindjoin_auth_failures_total",
			Help: "Rejected credentials, by reason.",
		}, []string{"reason"}),
	}
	m.registry.MustRegister(
		m.requests, m.duration, m.authFailures,
		&sessionStates{count: stateCounts, desc: prometheus.NewDesc(
			"blindjoin_sessions", "Sessions, by state.", []string{"state"}, nil)},
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "blindjoin_elements_processed_total",
			Help: "Group elements the service has validated or joined.",
		}, func() float64 { return float64(elements()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	if ops != nil {
		m.registry.MustRegister(ops.collectors()...)
	}
	return m
}

func (m *metrics) observeRequest(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(d.Seconds())
}

// sessionStates asks the store for the session count per state at each
// scrape, so the gauge cannot drift from the truth.
type sessionStates struct {
	count func(context.Context) (map[api.State]int, error)
	desc  *prometheus.Desc
}

func (s *sessionStates) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

func (s *sessionStates) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), stateCountTimeout)
	defer cancel()
	counts, err := s.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.desc, fmt.Errorf("httpapi: counting sessions: %w", err))
		return
	}
	for _, state := range allStates {
		ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, float64(counts[state]), string(state))
	}
}
