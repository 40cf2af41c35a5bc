package operator

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
)

// TestMetricsHaveTheirOwnListener: with a metrics address the metrics are
// served there, and the API answers 404 on /metrics either way.
func TestMetricsHaveTheirOwnListener(t *testing.T) {
	dir := t.TempDir()
	logs := &testkit.SyncBuffer{}
	r, err := Start(context.Background(), Config{
		DataDir: dir, Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() {
		if err := r.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	addr := r.Addr
	m := regexp.MustCompile(`"metrics_addr":"([^"]+)"`).FindStringSubmatch(logs.String())
	if m == nil || m[1] != r.MetricsAddr {
		t.Fatalf("metrics address %q not in the start line:\n%s", r.MetricsAddr, logs)
	}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	get("http://" + addr + "/healthz")
	if status, body := get("http://" + addr + "/metrics"); status != http.StatusNotFound || strings.Contains(body, "blindjoin_") {
		t.Errorf("the API serves /metrics: %d %s", status, body)
	}
	status, body := get("http://" + m[1] + "/metrics")
	if status != http.StatusOK || !strings.Contains(body, `blindjoin_http_requests_total{method="GET",route="/healthz",status="200"} 1`) {
		t.Errorf("metrics listener: %d %s", status, body)
	}
	// The jobs and the store: the recurring sweeps run at start, and
	// the next ones are queued. A scrape reads the counters and the queue
	// at slightly different moments, so the test scrapes until they agree.
	wants := []string{
		"blindjoin_jobs_finished_total 2", `blindjoin_jobs_queued{kind="retention"} 1`, `blindjoin_jobs_queued{kind="blob_sweep"} 1`,
		`blindjoin_jobs_leased{kind="blob_sweep"} 0`, "blindjoin_jobs_lease_expiries_total 0", "blindjoin_jobs_running_here 0",
		`blindjoin_store_transaction_seconds_count{kind="read_write"}`, `blindjoin_store_transaction_seconds_count{kind="read_only"}`,
	}
	var missing []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, body = get("http://" + m[1] + "/metrics")
		missing = missing[:0]
		for _, want := range wants {
			if !strings.Contains(body, want) {
				missing = append(missing, want)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Errorf("metrics lack %q:\n%s", missing, body)
	}
}

func TestCheckMetricsAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
		ok     bool
	}{
		{"", false, true},
		{"127.0.0.1:9090", false, true},
		{"127.8.9.10:9090", false, true},
		{"[::1]:9090", false, true},
		{"localhost:9090", false, true},
		{"0.0.0.0:9090", false, false},
		{":9090", false, false},
		{"[::]:9090", false, false},
		{"10.0.0.5:9090", false, false},
		{"metrics.internal:9090", false, false},
		{"10.0.0.5:9090", true, true},
		{":9090", true, true},
	} {
		err := checkMetricsAddr(tc.addr, tc.public)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrMetricsNotLoopback)) {
			t.Errorf("checkMetricsAddr(%q, %v) = %v", tc.addr, tc.public, err)
		}
	}
	if err := checkMetricsAddr("no-port", false); err == nil {
		t.Error("an address without a port was accepted")
	}
}
