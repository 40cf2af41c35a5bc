package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/blindjoin/blindjoin/cleanroom/jobs"
	"github.com/blindjoin/blindjoin/cleanroom/store"
)

// storeBuckets cover a store transaction: a millisecond on a local SQLite,
// tens of milliseconds to a remote PostgreSQL, seconds when it is
// overloaded or retries serialization conflicts.
var storeBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// allJobKinds are reported even when no job of the kind is queued.
var allJobKinds = []store.JobKind{store.JobRelay, store.JobJoin, store.JobJoinShard, store.JobJoinCombine, store.JobRetention, store.JobBlobSweep}

// OpsMetrics are the metrics of a process's background work and store
// transactions: part of the API's metrics on a serving replica, and all
// the metrics of a worker (WorkerMetrics).
type OpsMetrics struct {
	storeSeconds *prometheus.HistogramVec
	jobs         []prometheus.Collector
}

// NewOpsMetrics returns the store-latency histogram, which ObserveStore
// feeds; WatchJobs adds the jobs.
func NewOpsMetrics() *OpsMetrics {
	return &OpsMetrics{
		storeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "blindjoin_store_transaction_seconds",
			Help:    "Time of store transactions, retries included, by kind (read_write, read_only).",
			Buckets: storeBuckets,
		}, []string{"kind"}),
	}
}

// WatchJobs adds the metrics of runner's counters (nil: a process that
// runs no jobs) and of the jobs queue in st, cluster wide. Call it before
// the metrics are served.
func (o *OpsMetrics) WatchJobs(runner *jobs.Runner, st store.Store) {
	queue := &jobQueue{store: st,
		queued: prometheus.NewDesc("blindjoin_jobs_queued", "Jobs waiting to be claimed, cluster wide, by kind (due or not).", []string{"kind"}, nil),
		leased: prometheus.NewDesc("blindjoin_jobs_leased", "Jobs under a live lease, cluster wide, by kind.", []string{"kind"}, nil)}
	o.jobs = []prometheus.Collector{queue}
	if runner == nil {
		return
	}
	counter := func(name, help string, value func(jobs.Stats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(value(runner.Stats())) })
	}
	o.jobs = append(o.jobs,
		counter("blindjoin_jobs_claimed_total", "Jobs this process claimed.", func(s jobs.Stats) uint64 { return s.Claimed }),
		counter("blindjoin_jobs_finished_total", "Jobs this process finished.", func(s jobs.Stats) uint64 { return s.Finished }),
		counter("blindjoin_jobs_retried_total", "Jobs that failed in this process and were released for a retry.", func(s jobs.Stats) uint64 { return s.Retried }),
		counter("blindjoin_jobs_lease_expiries_total", "Jobs this process took over after their holder's lease ran out.", func(s jobs.Stats) uint64 { return s.Expired }),
		counter("blindjoin_jobs_leases_lost_total", "Leases this process lost to another runner while running the job.", func(s jobs.Stats) uint64 { return s.Lost }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "blindjoin_jobs_running_here", Help: "Jobs running in this process."},
			func() float64 { return float64(runner.Stats().Running) }),
	)
}

// ObserveStore records the duration of a store transaction of kind; it is
// what store.Observed calls.
func (o *OpsMetrics) ObserveStore(kind string, d time.Duration) {
	o.storeSeconds.WithLabelValues(kind).Observe(d.Seconds())
}

func (o *OpsMetrics) collectors() []prometheus.Collector {
	return append([]prometheus.Collector{o.storeSeconds}, o.jobs...)
}

// WorkerMetrics serves GET /metrics for a process that runs jobs only:
// the ops metrics and the Go runtime's and the process's own.
func WorkerMetrics(o *OpsMetrics, log *slog.Logger) http.Handler {
	registry := prometheus.NewRegistry()
	registry.MustRegister(o.collectors()...)
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return metricsMux(registry, log)
}

// metricsMux serves GET /metrics from registry and answers 404 to
// everything else.
func metricsMux(registry *prometheus.Registry, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return mux
}

// jobQueue reads the jobs table at each scrape: what is queued and what
// is leased, whichever process holds it.
type jobQueue struct {
	store          store.Store
	queued, leased *prometheus.Desc
}

func (q *jobQueue) Describe(ch chan<- *prometheus.Desc) { ch <- q.queued; ch <- q.leased }

func (q *jobQueue) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), stateCountTimeout)
	defer cancel()
	var list []store.Job
	err := q.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		list, err = tx.Jobs(ctx)
		return err
	})
	if err != nil {
		err = fmt.Errorf("httpapi: reading the jobs queue: %w", err)
		ch <- prometheus.NewInvalidMetric(q.queued, err)
		ch <- prometheus.NewInvalidMetric(q.leased, err)
		return
	}
	now := time.Now()
	queued, leased := map[store.JobKind]int{}, map[store.JobKind]int{}
	for _, j := range list {
		if j.Owner != "" && j.LeaseUntil.After(now) {
			leased[j.Kind]++
		} else {
			queued[j.Kind]++
		}
	}
	for _, kind := range allJobKinds {
		ch <- prometheus.MustNewConstMetric(q.queued, prometheus.GaugeValue, float64(queued[kind]), string(kind))
		ch <- prometheus.MustNewConstMetric(q.leased, prometheus.GaugeValue, float64(leased[kind]), string(kind))
	}
}
