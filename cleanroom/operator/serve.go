package operator

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/cleanroom/store/sqlitestore"
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
	Addr    string // host:port; port 0 picks a free port (see Running.Addr)
	// FloorFile is a policy JSON file whose settings are the loosest any
	// session may ask for; empty means the built-in defaults (DESIGN.md 4-5).
	FloorFile string
	// DPBudget is the epsilon each advertiser-partner pair may spend per 30
	// days (0: session.DefaultDPBudget).
	DPBudget         float64
	Issuer, Audience string        // access-token "iss" and "aud"
	TokenTTL         time.Duration // access-token lifetime, at most auth.MaxTokenLifetime
	SweepEvery       time.Duration // how often retention runs
	ShutdownTimeout  time.Duration // how long in-flight requests get on shutdown
	Limits           httpapi.Limits
	Timeouts         httpapi.Timeouts
	Logger           *slog.Logger
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
	return cfg
}

// Running is a clean room that accepts connections: what `blindjoind
// serve` runs, and what the demo, the bench and the tests start in-process.
type Running struct {
	// Addr is the address it listens on (host:port), URL the same as
	// http://host:port.
	Addr, URL string
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

// Start opens the data directory, listens on cfg.Addr and serves the API
// in the background until ctx is done or Stop is called. The error of a
// clean room that failed to start is returned here; one that stops later
// reports through Wait.
func Start(ctx context.Context, cfg Config) (*Running, error) {
	cfg = cfg.withDefaults()
	floor, err := loadFloor(cfg.FloorFile)
	if err != nil {
		return nil, err
	}
	if err := createDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	st, err := openStore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	r, err := start(ctx, cfg, floor, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return r, nil
}

// start wires the clean room on an open store and starts serving; the
// store is closed when the clean room stops.
func start(ctx context.Context, cfg Config, floor policy.Policy, st *sqlitestore.Store) (*Running, error) {
	log := cfg.Logger
	keyring, err := auth.OpenKeyring(cfg.DataDir, time.Now, rand.Reader)
	if err != nil {
		return nil, err
	}
	tokens, err := auth.NewAuthority(keyring, cfg.Issuer, cfg.Audience, cfg.TokenTTL, time.Now, rand.Reader)
	if err != nil {
		return nil, err
	}
	parties, err := registry.New(registry.Config{Store: st, Rand: rand.Reader, Now: time.Now})
	if err != nil {
		return nil, err
	}
	svc, err := session.New(session.Config{DataDir: cfg.DataDir, Store: st, Floor: floor, DPBudget: cfg.DPBudget, Logger: log})
	if err != nil {
		return nil, err
	}
	h, err := httpapi.NewHandler(httpapi.Config{
		Sessions: svc,
		Parties:  parties,
		Tokens:   tokens,
		Keys:     keyring,
		// A read transaction shows the store answers.
		Ready:       func(ctx context.Context) error { _, err := svc.StateCounts(ctx); return err },
		StateCounts: svc.StateCounts,
		Elements:    svc.ElementsProcessed,
		Logger:      log,
		Limits:      cfg.Limits,
	})
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("operator: listen: %w", err)
	}
	addr := ln.Addr().String()
	ctx, stop := context.WithCancel(ctx)
	r := &Running{Addr: addr, URL: "http://" + addr, TranscriptKey: svc.TranscriptPublicKey(), stop: stop, done: make(chan struct{})}
	srv := httpapi.NewServer(addr, h, cfg.Timeouts, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("blindjoind serving", slog.String("addr", addr),
		slog.String("transcript_public_key", hex.EncodeToString(r.TranscriptKey)))

	sweepCtx, stopSweep := context.WithCancel(context.Background())
	var sweeping sync.WaitGroup
	sweeping.Go(func() { sweep(sweepCtx, svc, cfg.SweepEvery, log) })
	go func() {
		r.err = shutdown(ctx, srv, served, cfg.ShutdownTimeout, log)
		stopSweep()
		sweeping.Wait()
		if err := st.Close(); err != nil && r.err == nil {
			r.err = fmt.Errorf("operator: closing the store: %w", err)
		}
		stop()
		close(r.done)
	}()
	return r, nil
}

// shutdown waits until ctx is done, then stops accepting connections and
// lets in-flight requests finish within grace; or returns at once if the
// server stopped by itself.
func shutdown(ctx context.Context, srv *http.Server, served <-chan error, grace time.Duration, log *slog.Logger) error {
	select {
	case err := <-served:
		return fmt.Errorf("operator: server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", slog.Duration("grace", grace))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		return fmt.Errorf("operator: shutdown: in-flight requests cut off: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("operator: server: %w", err)
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

// Stop shuts the clean room down gracefully (no new connections,
// in-flight requests finish within the shutdown timeout, retention stops,
// the store closes) and waits until it has stopped.
func (r *Running) Stop() error {
	r.stop()
	return r.Wait()
}

// sweep runs retention now and then every period until ctx is done.
func sweep(ctx context.Context, svc *session.Service, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := svc.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Error("retention sweep failed", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
