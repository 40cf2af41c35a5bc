package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/blindjoin/blindjoin/cleanroom/blobs/s3blobs"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/cleanroom/store/pgstore"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// clusterLocation returns a Location on a fresh schema of the
// BLINDJOIN_TEST_POSTGRES database, a fresh bucket of the BLINDJOIN_TEST_S3
// server and a keys directory made by InitKeys, with no data directory:
// what a replica of a cluster runs on. It skips when either server is
// missing (.ci/run starts both).
func clusterLocation(t *testing.T) operator.Location {
	t.Helper()
	pgURL, s3URL := os.Getenv("BLINDJOIN_TEST_POSTGRES"), os.Getenv("BLINDJOIN_TEST_S3")
	if pgURL == "" || s3URL == "" {
		t.Skip("BLINDJOIN_TEST_POSTGRES and BLINDJOIN_TEST_S3 must both be set: no PostgreSQL or S3 server to test against (.ci/run starts them)")
	}
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	name := "cluster_" + hex.EncodeToString(b[:])

	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, err := pgx.Connect(ctx, pgURL); err == nil {
			c.Exec(ctx, `DROP SCHEMA `+name+` CASCADE`)
			c.Close(ctx)
		}
	})
	pu, _ := url.Parse(pgURL)
	q := pu.Query()
	q.Set("search_path", name)
	pu.RawQuery = q.Encode()

	su, _ := url.Parse(s3URL)
	s3, err := minio.New(su.Host, &minio.Options{Creds: credentials.NewEnvAWS(), Region: os.Getenv("AWS_REGION")})
	if err != nil {
		t.Fatal(err)
	}
	bucket := strings.ReplaceAll(name, "_", "-")
	if err := s3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for obj := range s3.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			s3.RemoveObject(ctx, bucket, obj.Key, minio.RemoveObjectOptions{})
		}
		s3.RemoveBucket(ctx, bucket)
	})

	keys := filepath.Join(t.TempDir(), "keys")
	if _, err := operator.InitKeys(keys); err != nil {
		t.Fatal(err)
	}
	return operator.Location{
		Store: pu.String(),
		Blobs: "s3://" + bucket + "?endpoint=" + url.QueryEscape(s3URL),
		Keys:  keys,
	}
}

// switchProxy forwards to whichever replica is current, as a load balancer
// does after a health check took a dead replica out.
type switchProxy struct{ target atomic.Pointer[url.URL] }

func (p *switchProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	httputil.NewSingleHostReverseProxy(p.target.Load()).ServeHTTP(w, r)
}

// TestClusterFailover runs a session on PostgreSQL and S3 through a proxy:
// a first replica serves the start, a second one on the same database,
// bucket and keys directory (and no data directory) takes over after the
// first stops, the parties resume through it with their tokens and
// sessions intact, and the results are the plaintext truth with a
// transcript that verifies under the one shared transcript key. While the
// first replica runs, a second cannot start on the same database.
func TestClusterFailover(t *testing.T) {
	loc := clusterLocation(t)
	ctx := context.Background()
	startReplica := func() (*operator.Running, error) {
		return operator.Start(ctx, operator.Config{
			Store: loc.Store, Blobs: loc.Blobs, Keys: loc.Keys, Addr: "127.0.0.1:0",
			Logger: slog.New(slog.NewTextHandler(&testLog{t}, &slog.HandlerOptions{Level: slog.LevelError})),
		})
	}
	first, err := startReplica()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { first.Stop() }()
	if second, err := startReplica(); !errors.Is(err, pgstore.ErrInUse) {
		if second != nil {
			second.Stop()
		}
		t.Fatalf("second replica on one database: %v, want pgstore.ErrInUse", err)
	}

	proxy := &switchProxy{}
	firstURL, _ := url.Parse(first.URL)
	proxy.target.Store(firstURL)
	front := httptest.NewServer(proxy)
	defer front.Close()

	// The parties see only the proxy.
	e := &e2e{room: &operator.Running{URL: front.URL}, roomKey: hex.EncodeToString(first.TranscriptKey), dir: t.TempDir()}
	for _, p := range []struct {
		key  *string
		name string
		role api.Role
	}{{&e.adv, "acme", api.RoleAdvertiser}, {&e.pub, "news", api.RoleMediaPartner}, {&e.aud, "audit-firm", api.RoleAuditor}} {
		if *p.key, err = operator.AddPartyIn(ctx, operator.Location{Store: loc.Store}, p.name, p.role); err != nil {
			t.Fatal(err)
		}
	}
	cfg := synth.DefaultConfig()
	cfg.Seed, cfg.AdvertiserRows, cfg.PartnerRows = 7, 3000, 6000 // as TestEndToEndCLI: both sides of k
	if e.data, err = synth.New(cfg); err != nil {
		t.Fatal(err)
	}
	e.advCSV, e.pubCSV = filepath.Join(e.dir, "crm.csv"), filepath.Join(e.dir, "audience.csv")
	writeWith(t, e.advCSV, e.data.WriteAdvertiserCSV)
	writeWith(t, e.pubCSV, e.data.WritePartnerCSV)
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
	if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
		t.Fatalf("no session id in %q", out)
	}
	e.mustRun(t, e.pub, "session", "join", id, "--yes")

	keys := filepath.Join(e.dir, "party-keys")
	advOut, pubOut := filepath.Join(e.dir, "adv-out"), filepath.Join(e.dir, "pub-out")
	advMatch := []string{"match", id, "--in", e.advCSV, "--id-column", "email", "--segments-column", "segments",
		"--out", advOut, "--key-dir", filepath.Join(keys, "adv"), "--poll", "50ms"}
	pubMatch := []string{"match", id, "--in", e.pubCSV, "--id-column", "user_email", "--consent-column", "consent",
		"--out", pubOut, "--key-dir", filepath.Join(keys, "pub"), "--poll", "50ms"}

	// The advertiser uploads its whole set through the first replica and
	// waits for the partner; then the first replica goes away.
	advCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var advCode int
	var advErr string
	wg.Go(func() { _, advErr, advCode = e.as(advCtx, e.adv, advMatch...) })
	waitFor(t, func() bool {
		out, _, code := e.as(ctx, e.adv, "session", "show", id)
		return code == exitOK && strings.Contains(out, "(complete)")
	})
	cancel()
	wg.Wait()
	if advCode != exitInterrupted {
		t.Fatalf("interrupted match: exit %d, stderr %q", advCode, advErr)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}

	second, err := startReplica()
	if err != nil {
		t.Fatalf("replacement replica: %v", err)
	}
	defer second.Stop()
	if !bytes.Equal(second.TranscriptKey, first.TranscriptKey) {
		t.Fatal("the replacement signs with another transcript key")
	}
	secondURL, _ := url.Parse(second.URL)
	proxy.target.Store(secondURL)

	var pubCode int
	var pubErr string
	wg.Go(func() { _, advErr, advCode = e.as(ctx, e.adv, advMatch...) })
	wg.Go(func() { _, pubErr, pubCode = e.as(ctx, e.pub, pubMatch...) })
	wg.Wait()
	if advCode != exitOK || pubCode != exitOK {
		t.Fatalf("match through the replacement: advertiser exit %d (%s), partner exit %d (%s)", advCode, advErr, pubCode, pubErr)
	}
	checkResults(t, e, id, pol, truth)
	// The parts are in the bucket, nowhere on a replica's disk.
	bl, err := s3blobs.Open(loc.Blobs)
	if err != nil {
		t.Fatal(err)
	}
	if stored, err := bl.List(ctx, "parts/"+id+"/"); err != nil || len(stored) < 4 {
		t.Errorf("part objects in the bucket: %q, %v", stored, err)
	}
	if entries, _ := os.ReadDir(loc.Keys); len(entries) != 3 {
		t.Errorf("the keys directory holds %d entries, want the keyring directory and two key files", len(entries))
	}
	checkActivationFile(t, filepath.Join(pubOut, "activation.csv"), truth.Released(int(pol.K)))

	tpath := filepath.Join(e.dir, "transcript.json")
	e.mustRun(t, e.aud, "session", "transcript", id, "--out", tpath)
	if out, errOut, code := runCLI(t, "", "audit", "verify", tpath, "--server-key", e.roomKey); code != exitOK || !strings.Contains(out, "ok ") {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within a minute")
}
