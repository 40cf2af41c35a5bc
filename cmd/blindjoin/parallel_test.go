package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Issue 14, item 4: `match --parallel K` sends K parts at once. A media
// partner interrupted with re-blinded parts in flight says how to resume,
// and the rerun, with another K, gives the truth.
func TestMatchParallelInterruptedAndResumed(t *testing.T) {
	// Relay parts of 200 records: the partner re-blinds a dozen parts.
	e := newE2EIn(t, roomtest.Start(t, roomtest.Options{RelayPartRecords: 200}))
	polFile := writePolicy(t, e.dir, e2ePolicy)
	pol, _ := policy.Parse([]byte(e2ePolicy))
	truth, err := e.data.Truth(pol)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email",
		"--policy", polFile, "--segments-from", e.advCSV))
	e.mustRun(t, e.partner, "session", "join", id, "--yes")

	partnerKeys, partnerOut := filepath.Join(e.dir, "pub-keys"), filepath.Join(e.dir, "pub-out")
	advMatch := []string{"match", id, "--in", e.advCSV, "--id-column", "email", "--segments-column", "segments",
		"--out", filepath.Join(e.dir, "adv-out"), "--key-dir", filepath.Join(e.dir, "adv-keys"), "--poll", "50ms"}
	partnerMatch := func(parallel string) []string {
		return []string{"match", id, "--in", e.partnerCSV, "--id-column", "user_email",
			"--out", partnerOut, "--key-dir", partnerKeys, "--poll", "50ms", "--parallel", parallel}
	}

	if _, errOut, code := e.as(context.Background(), e.partner, partnerMatch("0")...); code != exitUsage || !strings.Contains(errOut, "--parallel must be at least 1") {
		t.Fatalf("--parallel 0: exit %d, %q", code, errOut)
	}

	// The advertiser runs to the results, which wait for the partner's
	// rerun.
	advCtx, advCancel := context.WithTimeout(context.Background(), time.Minute)
	var wg sync.WaitGroup
	var advCode int
	var advErr string
	wg.Go(func() { _, advErr, advCode = e.as(advCtx, e.adv, advMatch...) })
	defer func() { advCancel(); wg.Wait() }()

	// The partner is stopped, as by Ctrl-C, once the clean room has
	// accepted two of its re-blinded parts.
	partnerCtx, relayURL := stopAfterReblindedParts(t, e.room.URL, 2)
	var errOut bytes.Buffer
	args := append(partnerMatch("3"), "--server", relayURL, "--api-key", e.partner)
	if code := run(args, stdio{in: strings.NewReader(""), out: &bytes.Buffer{}, err: &errOut, ctx: partnerCtx}); code != exitInterrupted ||
		!strings.Contains(errOut.String(), "interrupted. Run the same command again to resume") {
		t.Fatalf("interrupted partner: exit %d, want %d; stderr %q", code, exitInterrupted, errOut.String())
	}
	// The resume record allows for the 2 parts past the first missing one
	// that 3 parts in flight can leave.
	var record struct {
		ReblindedAhead int `json:"reblinded_ahead"`
	}
	if data, err := keystore.ReadState(partnerKeys, id); err != nil || json.Unmarshal(data, &record) != nil || record.ReblindedAhead != 2 {
		t.Fatalf("resume record after --parallel 3: %+v, %v", record, err)
	}

	e.mustRun(t, e.partner, partnerMatch("2")...)
	wg.Wait()
	if advCode != exitOK {
		t.Fatalf("advertiser: exit %d: %s", advCode, advErr)
	}
	checkActivationFile(t, filepath.Join(partnerOut, "activation.csv"), truth.Released(int(pol.K)))
}

// stopAfterReblindedParts puts a relay in front of the room at roomURL and
// returns it with a context that is cancelled, as by Ctrl-C or a killed
// pod, once the room has accepted n re-blinded parts through the relay.
func stopAfterReblindedParts(t *testing.T, roomURL string, n int32) (context.Context, string) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	relay := roomtest.NewFaults(t, roomURL)
	var accepted atomic.Int32
	relay.After("PUT /reblinded", func(x roomtest.Exchange) {
		if x.Status == http.StatusOK && accepted.Add(1) == n {
			stop()
		}
	})
	return ctx, relay.URL
}
