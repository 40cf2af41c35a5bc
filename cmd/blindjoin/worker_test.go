package main

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/internal/roomtest"
)

// TestWorkerRunsTheJobs: a clean room that serves the API only and a
// worker beside it on the same data directory (blindjoind serve
// --job-workers 0 and blindjoind worker): the parties' matches complete
// with the exact results, so the relays and the join ran in the worker.
func TestWorkerRunsTheJobs(t *testing.T) {
	room := roomtest.Start(t, roomtest.Options{NoJobs: true})
	room.StartWorker(t)
	e := newE2EIn(t, room)
	polFile, pol, truth := e.policyAndTruth(t)
	out := e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email", "--policy", polFile,
		"--segments-from", e.advCSV)
	id := strings.Fields(out)[len(strings.Fields(out))-1]
	e.mustRun(t, e.partner, "session", "join", id, "--yes")
	keys := filepath.Join(e.dir, "keys")
	var wg sync.WaitGroup
	for _, m := range []struct{ key, csv, idColumn, flag, column, dir string }{
		{e.adv, e.advCSV, "email", "--segments-column", "segments", "adv"},
		{e.partner, e.partnerCSV, "user_email", "--consent-column", "consent", "pub"},
	} {
		wg.Go(func() {
			if _, errOut, code := e.as(context.Background(), m.key, "match", id, "--in", m.csv, "--id-column", m.idColumn, m.flag, m.column,
				"--out", filepath.Join(e.dir, m.dir+"-out"), "--key-dir", filepath.Join(keys, m.dir), "--poll", "50ms"); code != exitOK {
				t.Errorf("%s match: exit %d: %s", m.dir, code, errOut)
			}
		})
	}
	wg.Wait()
	checkResults(t, e, id, pol, truth)
}
