package main

import (
	"errors"
	"flag"
	"io"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/jobs"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// opsFlags are the flags serve and worker share: metrics, logging, the
// sweeps, shutdown and the jobs runner.
type opsFlags struct {
	metricsAddr         *string
	metricsPublic       *bool
	logFormat, logLevel *string
	sweepEvery, grace   *time.Duration
	jobLease            *time.Duration
	jobWorkers          *int
	blobGrace           *time.Duration
}

func addOpsFlags(fs *flag.FlagSet) opsFlags {
	return opsFlags{
		metricsAddr:   fs.String("metrics-addr", "", "serve Prometheus metrics on this loopback `address` (host:port); empty: no metrics"),
		metricsPublic: fs.Bool("metrics-public", false, "allow a --metrics-addr other hosts can reach (metrics need no credentials)"),
		logFormat:     fs.String("log-format", "json", "log format: json or text"),
		logLevel:      fs.String("log-level", "info", "log level: debug, info, warn or error"),
		sweepEvery:    fs.Duration("sweep-every", operator.DefaultSweepEvery, "how often retention and the blob sweep run"),
		grace:         fs.Duration("shutdown-timeout", operator.DefaultShutdownTimeout, "how long in-flight requests and running jobs may run on shutdown"),
		jobLease:      fs.Duration("job-lease", jobs.DefaultLease, "how long a job claim lasts unless extended: a killed process's job is taken over after this"),
		jobWorkers:    fs.Int("job-workers", jobs.DefaultWorkers, "background jobs run at once (serve: 0 runs none)"),
		blobGrace:     fs.Duration("blob-grace", session.DefaultBlobGrace, "age from which the blob sweep deletes unrecorded part objects (longer than the longest upload)"),
	}
}

// apply sets the flags in cfg, with a logger writing to stderr.
func (o opsFlags) apply(cfg *operator.Config, stderr io.Writer) error {
	if *o.jobLease < 3*time.Second {
		return errors.New("--job-lease must be at least 3s (the lease is extended every third of it)")
	}
	if *o.blobGrace <= 0 {
		return errors.New("--blob-grace must be positive")
	}
	if *o.jobWorkers < 0 {
		return errors.New("--job-workers must not be negative")
	}
	log, err := operator.NewLogger(*o.logFormat, *o.logLevel, stderr)
	if err != nil {
		return err
	}
	cfg.MetricsAddr, cfg.MetricsPublic = *o.metricsAddr, *o.metricsPublic
	cfg.SweepEvery, cfg.ShutdownTimeout = *o.sweepEvery, *o.grace
	cfg.JobLease, cfg.JobWorkers, cfg.BlobGrace = *o.jobLease, *o.jobWorkers, *o.blobGrace
	if cfg.JobWorkers == 0 {
		cfg.JobWorkers = -1 // operator.Config: negative runs none
	}
	cfg.Logger = log
	return nil
}
