package operator

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/console"
	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
	"github.com/blindjoin/blindjoin/cleanroom/keyfile"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Defaults of Config.
const (
	DefaultIssuer          = "blindjoind"
	DefaultAudience        = "blindjoin-api"
	DefaultTokenTTL        = auth.MaxTokenLifetime
	DefaultSweepEvery      = 5 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
)

// Config configures a clean room. DataDir, Addr and Logger are required;
// zero values of the other fields take the defaults above (and the
// packages').
type Config struct {
	DataDir string
	// Store, Blobs and Keys move the store, the part files and the
	// secrets out of DataDir (see Location).
	Store, Blobs, Keys string
	Addr               string // host:port; port 0 picks a free port (see Running.Addr)
	// MetricsAddr is the host:port of the Prometheus metrics listener;
	// empty serves no metrics. It must be a loopback address unless
	// MetricsPublic is set: metrics need no credentials and show
	// authentication failures, traffic by route and sessions by state.
	MetricsAddr   string
	MetricsPublic bool
	// TLSCertFile and TLSKeyFile, both or neither, are a PEM certificate
	// chain and its private key: the API is then served over HTTPS (TLS
	// 1.2 or later) instead of plain HTTP. The metrics listener, on
	// loopback, stays plain.
	TLSCertFile, TLSKeyFile string
	// FloorFile is a policy JSON file whose settings are the loosest any
	// session may ask for; empty means the built-in defaults (DESIGN.md 4-5).
	FloorFile string
	// DPBudget is the epsilon each advertiser-partner pair may spend per 30
	// days (0: session.DefaultDPBudget).
	DPBudget float64
	// RelayPartRecords is the number of records per relayed part (0: as
	// many as fit in a part). Tests lower it to relay small sets in
	// several parts, as large ones are.
	RelayPartRecords int
	Issuer, Audience string        // access-token "iss" and "aud"
	TokenTTL         time.Duration // access-token lifetime, at most auth.MaxTokenLifetime
	SweepEvery       time.Duration // how often retention and the blob sweep run
	// DrainDelay is how long a stopping server keeps accepting
	// connections while /readyz and new uploads answer 503, so that the
	// load balancer's health checks see it unready before its listener
	// closes (0: close at once).
	DrainDelay      time.Duration
	ShutdownTimeout time.Duration // how long in-flight requests and running jobs get on shutdown
	// JobLease is how long a job claim lasts without being extended: a
	// process killed in the middle of a job leaves it to another after
	// this long (0: jobs.DefaultLease). JobWorkers is how many jobs the
	// process runs at once (0: jobs.DefaultWorkers), and NoJobs makes a
	// serving process run none (an API-only replica beside workers).
	JobLease   time.Duration
	JobWorkers int
	NoJobs     bool
	// BlobGrace is the age from which the blob sweep deletes a part
	// object no store row names (0: session.DefaultBlobGrace): longer
	// than the longest upload, which is unrecorded until it commits.
	BlobGrace time.Duration
	// MemoryBudget is what the process's session work may hold in memory
	// (0: DefaultMemoryBudget): each bulk step of a session (duplicate
	// check, relay, join) sizes itself to half of it (session.Config),
	// and spills the rest into ScratchDir. The binaries also make it the
	// runtime's soft limit (LimitMemory).
	MemoryBudget int64
	ScratchDir   string
	Limits       httpapi.Limits
	Timeouts     httpapi.Timeouts
	Logger       *slog.Logger
}

func (cfg Config) withDefaults() Config {
	if cfg.Issuer == "" {
		cfg.Issuer = DefaultIssuer
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = DefaultSweepEvery
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.MemoryBudget <= 0 {
		cfg.MemoryBudget = DefaultMemoryBudget
	}
	return cfg
}

// Running is a clean room that accepts connections: what `blindjoind
// serve` runs, and what the demo, the bench and the tests start in-process.
type Running struct {
	// Addr is the address the API listens on (host:port), URL the same as
	// http://host:port (https:// with TLS).
	Addr, URL string
	// MetricsAddr is the address of the metrics listener, empty without
	// one.
	MetricsAddr string
	// TranscriptKey verifies the transcripts it signs (blindjoin audit
	// verify --server-key takes its hex form).
	TranscriptKey ed25519.PublicKey

	stop context.CancelFunc
	done chan struct{}
	err  error // set before done is closed
}

// Serve runs a clean room until ctx is done (SIGTERM or SIGINT in the
// binary), then shuts it down as Running.Stop does.
func Serve(ctx context.Context, cfg Config) error {
	r, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	return r.Wait()
}

// Start opens the store (the data directory's, which it locks, or the one
// cfg.Store names) and the blob store, listens on cfg.Addr (and
// cfg.MetricsAddr) and serves, with a jobs runner beside the API (unless
// cfg.NoJobs), in the background until ctx is done or Stop
// is called. The error of a clean room that failed to start is returned
// here; one that stops later reports through Wait.
func Start(ctx context.Context, cfg Config) (*Running, error) {
	cfg = cfg.withDefaults()
	floor, err := loadFloor(cfg.FloorFile)
	if err != nil {
		return nil, err
	}
	if err := checkMetricsAddr(cfg.MetricsAddr, cfg.MetricsPublic); err != nil {
		return nil, err
	}
	loc := cfg.location()
	if err := loc.checkKeys(); err != nil {
		return nil, err
	}
	if loc.usesDataDir() {
		if err := createDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	st, release, err := loc.openStore(ctx, true)
	if err != nil {
		return nil, err
	}
	bl, err := loc.openBlobs(ctx)
	if err != nil {
		release()
		return nil, err
	}
	r, err := start(ctx, cfg, floor, st, bl, release)
	if err != nil {
		release()
		return nil, err
	}
	return r, nil
}

// location is where cfg keeps its state.
func (cfg Config) location() Location {
	return Location{DataDir: cfg.DataDir, Store: cfg.Store, Blobs: cfg.Blobs, Keys: cfg.Keys}
}

// start wires the clean room on an open store and blob store and starts
// serving; release (closing the store, unlocking it) runs once it stops.
func start(ctx context.Context, cfg Config, floor policy.Policy, st store.Store, bl blobs.Store, release func() error) (*Running, error) {
	log := cfg.Logger
	keys := cfg.location().keysDir()
	keyring, err := auth.OpenKeyring(keys, time.Now, rand.Reader)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewAuthority(keyring, cfg.Issuer, cfg.Audience, cfg.TokenTTL, time.Now, rand.Reader)
	if err != nil {
		return nil, err
	}
	bg, err := newBackground(cfg, floor, st, bl)
	if err != nil {
		return nil, err
	}
	st, svc := bg.store, bg.svc
	parties, err := registry.New(registry.Config{Store: st, Rand: rand.Reader, Now: time.Now})
	if err != nil {
		return nil, err
	}
	var draining atomic.Bool
	// ready is GET /readyz and the console's health: a read transaction
	// shows the store answers, Ping the blob store.
	ready := func(ctx context.Context) error {
		if _, err := svc.StateCounts(ctx); err != nil {
			return err
		}
		return bl.Ping(ctx)
	}
	h, metrics, err := httpapi.NewHandler(httpapi.Config{
		Sessions:    svc,
		Parties:     parties,
		Tokens:      tokens,
		Keys:        keyring,
		Ready:       ready,
		StateCounts: svc.StateCounts,
		Elements:    svc.ElementsProcessed,
		Logger:      log,
		Limits:      cfg.Limits,
		Draining:    draining.Load,
		Ops:         bg.ops,
	})
	if err != nil {
		return nil, err
	}
	budget := cfg.DPBudget
	if budget == 0 {
		budget = session.DefaultDPBudget
	}
	web, err := console.New(console.Config{
		DataDir: keys, Store: st, Parties: parties, TranscriptKey: svc.TranscriptPublicKey(), DPBudget: budget,
		Ready: ready, Elements: svc.ElementsProcessed, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	h = withConsole(h, web.Handler())

	tlsConfig, err := loadTLS(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("operator: listen: %w", err)
	}
	addr := ln.Addr().String()
	scheme := "http://"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "https://"
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return nil, fmt.Errorf("operator: listen for metrics: %w", err)
		}
	}
	ctx, stop := context.WithCancel(ctx)
	r := &Running{Addr: addr, URL: scheme + addr, TranscriptKey: svc.TranscriptPublicKey(), stop: stop, done: make(chan struct{})}
	servers := []*http.Server{httpapi.NewServer(addr, h, cfg.Timeouts, log)}
	listeners := []net.Listener{ln}
	started := []any{slog.String("addr", addr), slog.String("transcript_public_key", hex.EncodeToString(r.TranscriptKey))}
	if mln != nil {
		r.MetricsAddr = mln.Addr().String()
		servers = append(servers, httpapi.NewServer(r.MetricsAddr, metrics, cfg.Timeouts, log))
		listeners = append(listeners, mln)
		started = append(started, slog.String("metrics_addr", r.MetricsAddr))
	}
	served := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { served <- srv.Serve(listeners[i]) }()
	}
	log.Info("blindjoind serving", started...)

	jobsCtx, stopJobs := context.WithCancel(context.Background())
	var working sync.WaitGroup
	working.Go(func() { bg.run(jobsCtx, log) })
	go func() {
		// Draining: /readyz and new uploads answer 503 from here on,
		// while in-flight requests and running jobs get the grace.
		err := shutdown(ctx, servers, served, cfg.ShutdownTimeout, log, func() {
			draining.Store(true)
			stopJobs()
			if cfg.DrainDelay > 0 {
				log.Info("draining: unready, listening for the drain delay", slog.Duration("drain_delay", cfg.DrainDelay))
				time.Sleep(cfg.DrainDelay)
			}
		})
		stopJobs()
		working.Wait()
		if rerr := release(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("operator: closing the data directory: %w", rerr))
		}
		r.err = err
		stop()
		close(r.done)
	}()
	return r, nil
}

// ErrTLSFiles is returned by Start when only one of the certificate and
// key files is given.
var ErrTLSFiles = errors.New("operator: TLS needs both a certificate file and a key file")

// loadTLS returns the TLS configuration of a certificate and key file, nil
// when neither is given.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, ErrTLSFiles
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("operator: TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// shutdown waits until ctx is done, then stops accepting connections and
// lets in-flight requests finish within grace; or, if a server stopped by
// itself, closes the others and returns why.
func shutdown(ctx context.Context, servers []*http.Server, served <-chan error, grace time.Duration, log *slog.Logger, drain func()) error {
	select {
	case err := <-served:
		for _, s := range servers {
			s.Close()
		}
		return fmt.Errorf("operator: server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("grace", grace))
	drain()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var errs []error
	for _, s := range servers {
		if err := s.Shutdown(shutdownCtx); err != nil {
			s.Close()
			errs = append(errs, fmt.Errorf("operator: shutdown: in-flight requests cut off: %w", err))
		}
	}
	for range servers {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("operator: server: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// Wait blocks until the clean room has stopped and returns why it stopped
// if not by request.
func (r *Running) Wait() error {
	<-r.done
	return r.err
}

// Stop shuts the clean room down gracefully (draining: /readyz and new
// uploads answer 503, in-flight requests and running jobs get the shutdown
// timeout, unfinished jobs are released to other runners; then the store
// closes and the data directory is unlocked) and waits until it has
// stopped.
func (r *Running) Stop() error {
	r.stop()
	return r.Wait()
}

// ErrMetricsNotLoopback reports a metrics address that other hosts could
// reach, without the operator saying that this is intended.
var ErrMetricsNotLoopback = errors.New("operator: the metrics address is not a loopback address")

// checkMetricsAddr refuses a metrics listener that other hosts could reach
// unless public is set: metrics need no credentials. A host name other
// than localhost could resolve to anything, and an empty host listens on
// every interface, so both count as public.
func checkMetricsAddr(addr string, public bool) error {
	if addr == "" || public {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("operator: metrics address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%w: %s (metrics need no credentials and show authentication failures and traffic; listen on 127.0.0.1, or allow it explicitly with --metrics-public behind a firewall)", ErrMetricsNotLoopback, addr)
}

// serveLock is the file in the data directory that a serving process holds
// locked for as long as it runs.
const serveLock = "serve.lock"

// ErrDataDirInUse reports a data directory that another server is serving.
var ErrDataDirInUse = errors.New("operator: the data directory is in use by another blindjoind serve")

// lockDataDir makes the caller the only server of dir (see the package
// doc). The party and keys commands and workers do not take this lock:
// they use the store, which SQLite shares safely, the part files, which
// the blob sweep deletes only once older than its grace, and the keyring,
// which has its own lock.
func lockDataDir(dir string) (unlock func() error, err error) {
	unlock, err = keyfile.LockOwned(filepath.Join(dir, serveLock))
	if le, ok := errors.AsType[*keyfile.LockedError](err); ok {
		holder := "another process"
		if le.PID != 0 {
			holder = fmt.Sprintf("process %d", le.PID)
		}
		return nil, fmt.Errorf("%w: %s holds %s; stop it before starting another server on %s", ErrDataDirInUse, holder, le.Path, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("operator: locking the data directory: %w", err)
	}
	return unlock, nil
}

// loadFloor reads the operator's floor policy, or returns the defaults.
func loadFloor(path string) (policy.Policy, error) {
	if path == "" {
		return policy.Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("operator: floor policy: %w", err)
	}
	p, err := policy.Parse(data)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("operator: floor policy %s: %w", path, err)
	}
	return p, nil
}

// withConsole serves the operator and auditor console under
// console.Prefix next to the API. It dispatches on the raw prefix, not
// through an http.ServeMux, which would answer the API's unclean paths
// ("/v1/sessions/..") with a redirect instead of the API's own 404.
func withConsole(api, web http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == strings.TrimSuffix(console.Prefix, "/") || strings.HasPrefix(r.URL.Path, console.Prefix) {
			web.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
