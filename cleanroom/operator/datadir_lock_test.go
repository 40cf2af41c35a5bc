package operator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// TestServeRefusesABusyDataDirectory: a second server on the data directory
// of a running one fails before it touches the store or the part files, and
// names the holder; the party commands keep working beside the server.
func TestServeRefusesABusyDataDirectory(t *testing.T) {
	dir := t.TempDir()
	startServer(t, dir)

	// A leftover temporary part is what the second server's recovery
	// would have deleted.
	parts := filepath.Join(dir, "parts")
	if err := os.MkdirAll(parts, 0o700); err != nil {
		t.Fatal(err)
	}
	canary := filepath.Join(parts, "in-progress.tmp")
	if err := os.WriteFile(canary, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	second, err := Start(ctx, Config{DataDir: dir, Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, ErrDataDirInUse) {
		if second != nil {
			second.Stop()
		}
		t.Fatalf("second Start: %v, want ErrDataDirInUse", err)
	}
	// The first server runs in this process, so it holds the lock under
	// this PID.
	if want := fmt.Sprintf("process %d", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
	if _, err := os.Stat(canary); err != nil {
		t.Errorf("the refused server touched the part files: %v", err)
	}

	// The operator's commands do not take the serve lock.
	addParty(t, dir, "acme", api.RoleAdvertiser)
	if _, err := ListParties(context.Background(), dir); err != nil {
		t.Fatalf("party list beside a running server: %v", err)
	}
	if err := RevokeParty(context.Background(), dir, "acme"); err != nil {
		t.Fatalf("party revoke beside a running server: %v", err)
	}
}

// TestServeReleasesTheDataDirectory: once a server has stopped, the next
// one starts on the same directory.
func TestServeReleasesTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := startServer(t, dir).Stop(); err != nil {
		t.Fatal(err)
	}
	startServer(t, dir)
}
