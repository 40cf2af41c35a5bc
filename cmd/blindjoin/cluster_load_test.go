package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/internal/proc"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/demo"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// retryableStatus lists the statuses a party's client retries and that a
// healthy cluster under load may answer: the only failures the load test
// accepts. A 500 is retried by the client too, but it is a server bug, so
// it fails the test.
var retryableStatus = map[int]bool{
	http.StatusRequestTimeout: true, http.StatusTooManyRequests: true,
	http.StatusBadGateway: true, http.StatusServiceUnavailable: true, http.StatusGatewayTimeout: true,
}

// TestClusterLoad is the load test of issue 13: 20 sessions of 5,000 ×
// 5,000 rows at once, each between its own advertiser and media partner,
// on two `blindjoind serve` replicas (the built binary, default job
// settings) sharing one PostgreSQL schema, bucket and keys directory,
// behind a balancer that sends each request to the next replica in turn.
// The parties run in this process (partner/demo: the flows of `blindjoin
// match`, each with its own client) rather than as 40 CLI processes, which
// would cost a Go runtime each on a small machine. Every session's
// released figures and activation file must be exactly the plaintext
// truth, and every answer the balancer gave a status below 400 or one the
// client retries. It prints the wall time and the CPU time of the parties
// and of each replica. CI runs it; -short skips it.
func TestClusterLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("20 sessions of 5,000 × 5,000 rows on two blindjoind processes; skipped with -short")
	}
	loc := clusterLocation(t)
	const sessions, rows = 20, 5000
	ctx := context.Background()
	bin := buildBlindjoind(t)
	replicas := []*clusterProcess{
		startServe(t, bin, loc, "replica-1", "127.0.0.1:0"),
		startServe(t, bin, loc, "replica-2", "127.0.0.1:0"),
	}
	lb := newBalancer(t, replicas[0].addr, replicas[1].addr)
	front := lb.roundRobin(t)
	pol, err := policy.Parse([]byte(e2ePolicy))
	if err != nil {
		t.Fatal(err)
	}

	party := func(name string, role api.Role, dir string) demo.Party {
		key, err := operator.AddPartyIn(ctx, operator.Location{Store: loc.Store}, name, role)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.New(client.Config{BaseURL: front.URL, APIKey: client.Secret(key)})
		if err != nil {
			t.Fatal(err)
		}
		return demo.Party{Client: c, Dir: dir}
	}
	configs := make([]demo.Config, sessions)
	for i := range configs {
		data := synth.DefaultConfig()
		data.Seed, data.AdvertiserRows, data.PartnerRows = uint64(i+1), rows, rows
		dir := filepath.Join(t.TempDir(), fmt.Sprint(i))
		partner := fmt.Sprintf("publisher-%02d", i)
		configs[i] = demo.Config{
			Data: data, Policy: pol, Partner: partner,
			Advertiser:   party(fmt.Sprintf("advertiser-%02d", i), api.RoleAdvertiser, filepath.Join(dir, "advertiser")),
			MediaPartner: party(partner, api.RoleMediaPartner, filepath.Join(dir, "media-partner")),
			PollInterval: 100 * time.Millisecond, MaxPollInterval: time.Second,
		}
	}

	start, cpuStart := time.Now(), proc.CPU()
	outcomes, errs := make([]*demo.Outcome, sessions), make([]error, sessions)
	var wg sync.WaitGroup
	for i, cfg := range configs {
		wg.Go(func() { outcomes[i], errs[i] = demo.Run(ctx, cfg) })
	}
	wg.Wait()
	wall, partiesCPU := time.Since(start), proc.CPU()-cpuStart

	for i, o := range outcomes {
		if errs[i] != nil {
			t.Errorf("session %d: %v", i, errs[i])
			continue
		}
		v, err := demo.Check(o.Truth, pol, o.Advertiser, o.MediaPartner, o.Activation())
		if err != nil {
			t.Errorf("session %d: %v", i, err)
		} else if !v.OK() {
			t.Errorf("session %d differs from the truth:\n%s", i, strings.Join(v.Mismatches, "\n"))
		}
	}
	statuses := lb.Statuses()
	for status, n := range statuses {
		if status >= 400 && !retryableStatus[status] {
			t.Errorf("%d answers with status %d, which the client does not retry", n, status)
		}
	}

	var perReplica []string
	for i, r := range replicas {
		if code := r.terminate(); code != 0 {
			t.Errorf("%s on SIGTERM: exit status %d, want 0", r.name, code)
		}
		served := lb.backends[i].served.Load()
		if served == 0 {
			t.Errorf("%s answered no request", r.name)
		}
		perReplica = append(perReplica, fmt.Sprintf("%s %d answers, %.1fs CPU", r.name, served, proc.UsageOf(r.cmd.ProcessState).CPU().Seconds()))
	}
	t.Logf("%d sessions of %d × %d rows on 2 replicas: wall %.1fs; parties (this process, data generation and truth included) %.1fs CPU; %s; answers:%s",
		sessions, rows, rows, wall.Seconds(), partiesCPU.Seconds(), strings.Join(perReplica, "; "), showStatuses(statuses))
}
