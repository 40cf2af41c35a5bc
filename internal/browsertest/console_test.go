package browsertest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/console"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// chromiumEnv names the browser binary; the tests skip without it.
const chromiumEnv = "BLINDJOIN_CHROMIUM"

// world is a clean room with its parties, their files and their consoles.
type world struct {
	room                 *operator.Running
	roomDir              string
	advKey, pubKey       string
	audKey, operatorCred string
	data                 *synth.Dataset
	truth                *synth.Truth
	pol                  policy.Policy
	advDir, pubDir       string // each party's input directory and console work directory
	advURL, pubURL       string // the consoles' printed URLs
	shots                string // screenshot directory
}

// dataConfig gives an overlap of 743 and three segments under k = 50
// (checked by the test, not assumed).
func dataConfig() synth.Config {
	return synth.Config{Seed: 15, AdvertiserRows: 3000, PartnerRows: 5000, OverlapFraction: 0.4, MatchKey: "email",
		Segments: []string{"loyal", "high_value", "new_customers", "churn_risk", "newsletter", "app_users", "lapsed", "vip"}}
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{roomDir: t.TempDir(), advDir: t.TempDir(), pubDir: t.TempDir(), pol: policy.Default()}
	var err error
	if w.room, err = operator.Start(ctx, operator.Config{DataDir: w.roomDir, Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.room.Stop() })
	for _, p := range []struct {
		key  *string
		name string
		role api.Role
	}{{&w.advKey, "acme", api.RoleAdvertiser}, {&w.pubKey, "news", api.RoleMediaPartner}, {&w.audKey, "audit-firm", api.RoleAuditor}} {
		if *p.key, err = operator.AddParty(ctx, w.roomDir, p.name, p.role); err != nil {
			t.Fatal(err)
		}
	}
	if w.operatorCred, err = operator.AddOperator(w.roomDir, "ops"); err != nil {
		t.Fatal(err)
	}
	if w.data, err = synth.New(dataConfig()); err != nil {
		t.Fatal(err)
	}
	if w.truth, err = w.data.Truth(w.pol); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.advDir, "crm.csv"), w.data.WriteAdvertiserCSV)
	writeFile(t, filepath.Join(w.pubDir, "audience.csv"), w.data.WritePartnerCSV)
	w.shots = os.Getenv("BLINDJOIN_SCREENSHOTS")
	if w.shots == "" {
		w.shots = filepath.Join(os.TempDir(), "blindjoin-console-screenshots")
	}
	if err := os.MkdirAll(w.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", w.shots)
	w.advURL = w.startConsole(t, w.advKey, w.advDir)
	w.pubURL = w.startConsole(t, w.pubKey, w.pubDir)
	return w
}

func (w *world) client(t *testing.T, key string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: w.room.URL, APIKey: client.Secret(key)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startConsole serves a party's console as `blindjoin console` does.
func (w *world) startConsole(t *testing.T, key, dir string) string {
	t.Helper()
	srv, err := console.New(console.Config{Client: w.client(t, key), WorkDir: filepath.Join(dir, "console"), InputDir: dir,
		KeyDir: filepath.Join(dir, "keys"), ServerKey: w.room.TranscriptKey, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := console.Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	url := srv.URL(ln.Addr())
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { stop(); <-done })
	return url
}

// earlierSession runs a whole session through the flows, as two CLI runs
// would, so that the results page has a pair history to compare with.
func (w *world) earlierSession(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	adv, pub := w.client(t, w.advKey), w.client(t, w.pubKey)
	s, err := adv.CreateSession(ctx, api.CreateSessionRequest{Partner: "news", MatchKey: "email", Policy: w.pol.Canonical(), Segments: dataConfig().Segments})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Join(ctx, s.ID, s.PolicyHash); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, side := range []struct {
		c    *client.Client
		in   string
		cols func() csvin.Columns
	}{{adv, filepath.Join(w.advDir, "crm.csv"), w.data.AdvertiserColumns}, {pub, filepath.Join(w.pubDir, "audience.csv"), w.data.PartnerColumns}} {
		wg.Go(func() {
			dir := t.TempDir()
			_, errs[i] = flow.Run(ctx, flow.Options{Client: side.c, SessionID: s.ID, Input: side.in, Columns: side.cols(),
				OutDir: filepath.Join(dir, "out"), KeyDir: filepath.Join(dir, "keys"), PollInterval: 100 * time.Millisecond, MaxPollInterval: 200 * time.Millisecond})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path string, write func(w io.Writer) error) {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
