package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/blindjoin/blindjoin/cleanroom/jobs"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	clipkg "github.com/blindjoin/blindjoin/internal/cli"
)

// The floors of the operator's settings are far above what the jobs runner
// and the session service accept (tests run them with milliseconds): they
// keep a production setting from deleting uploads in flight or losing
// leases to a slow store.
const (
	minJobLease  = 3 * time.Second
	minBlobGrace = time.Minute
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
	memoryBudget        *clipkg.ByteSize
	scratchDir          *string
}

func addOpsFlags(fs *flag.FlagSet) opsFlags {
	budget := clipkg.ByteSize(operator.DefaultMemoryBudget)
	fs.Var(&budget, "memory-budget", "memory the sessions' duplicate checks, relays and joins may hold (e.g. 512MiB, 2GiB), also the runtime's soft limit unless GOMEMLIMIT is set; larger sets work through --scratch-dir")
	return opsFlags{
		memoryBudget:  &budget,
		scratchDir:    fs.String("scratch-dir", "", "local `directory` for the relay's and the join's temporary files, about 70 bytes per identifier of both sets together (default: the system's temporary directory)"),
		metricsAddr:   fs.String("metrics-addr", "", "serve Prometheus metrics on this loopback `address` (host:port); empty: no metrics"),
		metricsPublic: fs.Bool("metrics-public", false, "allow a --metrics-addr other hosts can reach (metrics need no credentials)"),
		logFormat:     fs.String("log-format", "json", "log format: json or text"),
		logLevel:      fs.String("log-level", "info", "log level: debug, info, warn or error"),
		sweepEvery:    fs.Duration("sweep-every", operator.DefaultSweepEvery, "how often retention and the blob sweep run"),
		grace:         fs.Duration("shutdown-timeout", operator.DefaultShutdownTimeout, "how long in-flight requests and running jobs may run on shutdown"),
		jobLease:      fs.Duration("job-lease", jobs.DefaultLease, "how long a job claim lasts unless extended: a killed process's job is taken over after this"),
		jobWorkers:    fs.Int("job-workers", jobs.DefaultWorkers, "background jobs run at once (serve: 0 runs none)"),
		blobGrace:     fs.Duration("blob-grace", session.DefaultBlobGrace, "age from which the blob sweep deletes unrecorded part and results objects of live sessions (longer than the longest upload)"),
	}
}

// apply sets the flags in cfg, with a logger writing to stderr.
func (o opsFlags) apply(cfg *operator.Config, stderr io.Writer) error {
	if *o.jobLease < minJobLease {
		return fmt.Errorf("--job-lease must be at least %v: it is extended every third of it, through the store, and must outlast the clock skew between replicas", minJobLease)
	}
	if *o.blobGrace < minBlobGrace {
		return fmt.Errorf("--blob-grace must be at least %v: it must outlast the longest upload and relay, which are unrecorded until they commit", minBlobGrace)
	}
	if *o.memoryBudget < operator.MinMemoryBudget {
		return fmt.Errorf("--memory-budget must be at least %s: two steps of a session run at once, and one bucket of a relay takes about 40 MiB", humanize.IBytes(operator.MinMemoryBudget))
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
	cfg.NoJobs = *o.jobWorkers == 0
	cfg.MemoryBudget, cfg.ScratchDir = int64(*o.memoryBudget), *o.scratchDir
	operator.LimitMemory(cfg.MemoryBudget)
	cfg.Logger = log
	return nil
}
