// Package roomtest runs a real clean room for a test: operator.Start (what
// blindjoind serve runs) on a free loopback port with a data directory of
// the test's own, parties registered as blindjoind party add does, and a
// relay in front of it that injects the faults of a real network (Faults).
// Tests of the party tool and the CLI use it so that they exercise the
// server of this repository, not an imitation of it.
package roomtest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// Options are the clean room settings a test may change; zero values keep
// the defaults of blindjoind serve.
type Options struct {
	// Floor is the floor policy JSON ("": the built-in defaults, min_rows
	// 1000 and k 50). Tests with small files loosen it.
	Floor string
	// RelayPartRecords splits relayed sets into parts of this many
	// records (0: as many as fit in a part).
	RelayPartRecords int
	// TLSCertFile and TLSKeyFile serve the API over HTTPS (both or
	// neither), as blindjoind serve --tls-cert/--tls-key.
	TLSCertFile, TLSKeyFile string
	// NoJobs serves the API only, as blindjoind serve --job-workers 0:
	// nothing is relayed or joined until a worker runs (StartWorker).
	NoJobs bool
}

// Room is a running clean room, stopped when its test ends.
type Room struct {
	*operator.Running
	// DataDir is the room's data directory.
	DataDir string
}

// Start starts a clean room for t; its error records go to the test log.
func Start(t testing.TB, opts Options) *Room {
	t.Helper()
	dir := t.TempDir()
	cfg := operator.Config{
		DataDir:          filepath.Join(dir, "data"),
		Addr:             "127.0.0.1:0",
		RelayPartRecords: opts.RelayPartRecords,
		TLSCertFile:      opts.TLSCertFile,
		TLSKeyFile:       opts.TLSKeyFile,
		Logger:           Logger(t),
	}
	cfg.NoJobs = opts.NoJobs
	if opts.Floor != "" {
		cfg.FloorFile = filepath.Join(dir, "floor.json")
		if err := os.WriteFile(cfg.FloorFile, []byte(opts.Floor), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	running, err := operator.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := running.Stop(); err != nil {
			t.Errorf("clean room shutdown: %v", err)
		}
	})
	return &Room{Running: running, DataDir: cfg.DataDir}
}

// StartWorker runs the room's jobs in a worker beside it (operator.Work,
// what blindjoind worker runs, on the same data directory) until the test
// ends.
func (r *Room) StartWorker(t testing.TB) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- operator.Work(ctx, operator.Config{DataDir: r.DataDir, Logger: Logger(t)}) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	})
}

// AddParty registers a party and returns its API key.
func (r *Room) AddParty(t testing.TB, name string, role api.Role) string {
	t.Helper()
	key, err := operator.AddParty(context.Background(), r.DataDir, name, role)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// Logger is a clean room's logger for t: its error records go to the
// test log.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelError}))
}

// testLog sends the clean room's log records to the test log.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
