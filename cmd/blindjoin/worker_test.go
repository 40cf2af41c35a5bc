package main

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// TestWorkerRunsTheJobs: a clean room that serves the API only and a
// worker beside it on the same data directory (blindjoind serve
// --job-workers 0 and blindjoind worker): the parties' matches complete
// with the exact results, so the relays and the join ran in the worker.
func TestWorkerRunsTheJobs(t *testing.T) {
	room := roomtest.Start(t, roomtest.Options{NoJobs: true})
	room.StartWorker(t)
	e := &e2e{room: room, roomKey: hex.EncodeToString(room.TranscriptKey), dir: t.TempDir(),
		adv:     room.AddParty(t, "acme", api.RoleAdvertiser),
		partner: room.AddParty(t, "news", api.RoleMediaPartner),
		aud:     room.AddParty(t, "audit-firm", api.RoleAuditor)}
	cfg := synth.DefaultConfig()
	cfg.Seed, cfg.AdvertiserRows, cfg.PartnerRows = 11, 3000, 6000
	var err error
	if e.data, err = synth.New(cfg); err != nil {
		t.Fatal(err)
	}
	e.advCSV, e.partnerCSV = filepath.Join(e.dir, "crm.csv"), filepath.Join(e.dir, "audience.csv")
	writeWith(t, e.advCSV, e.data.WriteAdvertiserCSV)
	writeWith(t, e.partnerCSV, e.data.WritePartnerCSV)
	polFile := filepath.Join(e.dir, "policy.json")
	os.WriteFile(polFile, []byte(e2ePolicy), 0o600)
	pol, _ := policy.Parse([]byte(e2ePolicy))
	truth, err := e.data.Truth(pol)
	if err != nil {
		t.Fatal(err)
	}

	out := e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email", "--policy", polFile,
		"--segments-from", e.advCSV, "--auditors", "audit-firm")
	id := strings.Fields(out)[len(strings.Fields(out))-1]
	e.mustRun(t, e.partner, "session", "join", id, "--yes")
	keys := filepath.Join(e.dir, "keys")
	var wg sync.WaitGroup
	var advErr, partnerErr string
	var advCode, partnerCode int
	wg.Go(func() {
		_, advErr, advCode = e.as(context.Background(), e.adv, "match", id, "--in", e.advCSV, "--id-column", "email",
			"--segments-column", "segments", "--out", filepath.Join(e.dir, "adv-out"), "--key-dir", filepath.Join(keys, "adv"), "--poll", "50ms")
	})
	wg.Go(func() {
		_, partnerErr, partnerCode = e.as(context.Background(), e.partner, "match", id, "--in", e.partnerCSV, "--id-column", "user_email",
			"--consent-column", "consent", "--out", filepath.Join(e.dir, "pub-out"), "--key-dir", filepath.Join(keys, "pub"), "--poll", "50ms")
	})
	wg.Wait()
	if advCode != exitOK || partnerCode != exitOK {
		t.Fatalf("match: advertiser exit %d (%s), partner exit %d (%s)", advCode, advErr, partnerCode, partnerErr)
	}
	checkResults(t, e, id, pol, truth)
}
