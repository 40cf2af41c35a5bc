package operator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
)

// ErrNoJobWorkers reports a worker configured to run no jobs.
var ErrNoJobWorkers = errors.New("operator: a worker must run jobs (NoJobs is set)")

// Work runs the clean room's background jobs without serving the API:
// what `blindjoind worker` runs beside the serving replicas of a cluster
// (or beside one serve on the same data directory). It opens the store,
// the blob store and the keys as Start does, but takes no data-directory
// lock and runs no listener except the metrics one (cfg.MetricsAddr).
// It runs until ctx ends, then drains the running jobs within
// cfg.ShutdownTimeout (finished or released to another runner).
func Work(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if cfg.NoJobs {
		return ErrNoJobWorkers
	}
	floor, err := loadFloor(cfg.FloorFile)
	if err != nil {
		return err
	}
	if err := checkMetricsAddr(cfg.MetricsAddr, cfg.MetricsPublic); err != nil {
		return err
	}
	loc := cfg.location()
	if err := loc.checkKeys(); err != nil {
		return err
	}
	st, release, err := loc.openStore(ctx, false)
	if err != nil {
		return err
	}
	defer release()
	bl, err := loc.openBlobs(ctx)
	if err != nil {
		return err
	}
	bg, err := newBackground(cfg, floor, st, bl)
	if err != nil {
		return err
	}
	log := cfg.Logger
	if cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("operator: listen for metrics: %w", err)
		}
		srv := httpapi.NewServer(ln.Addr().String(), httpapi.WorkerMetrics(bg.ops, log), cfg.Timeouts, log)
		go srv.Serve(ln)
		defer srv.Close()
		log.Info("worker metrics", slog.String("metrics_addr", ln.Addr().String()))
	}
	bg.run(ctx, log)
	log.Info("worker stopped")
	return nil
}
