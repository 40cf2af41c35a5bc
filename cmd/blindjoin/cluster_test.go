package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/blobs/s3blobs"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/cleanroom/store/pgstore"
	"github.com/blindjoin/blindjoin/internal/roomtest"
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

// TestClusterFailover runs a session on PostgreSQL and S3 through a proxy,
// as parties behind a load balancer see it. The first replica is the real
// blindjoind binary; it is killed with SIGKILL as soon as it committed the
// advertiser's first part, while the advertiser's match is running. A
// replacement on the same database, bucket and keys directory, with no data
// directory, starts at once (the dead process's lock went with its
// connection), the proxy switches to it, and the parties resume through it
// with their tokens and session intact. The results are the plaintext
// truth, the transcript verifies under the one shared transcript key, and
// the parts are in the bucket. While the first replica runs, a second is
// refused.
func TestClusterFailover(t *testing.T) {
	loc := clusterLocation(t)
	if testing.Short() {
		t.Skip("builds and kills the blindjoind binary; skipped with -short")
	}
	ctx := context.Background()
	bin := filepath.Join(t.TempDir(), "blindjoind")
	if out, err := exec.Command("go", "build", "-o", bin, "../blindjoind").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	first := startBinaryReplica(t, bin, loc)
	t.Cleanup(first.kill)
	if second, err := startReplica(t, loc); !errors.Is(err, pgstore.ErrInUse) {
		if second != nil {
			second.Stop()
		}
		t.Fatalf("second replica on one database: %v, want pgstore.ErrInUse", err)
	}

	proxy := &switchProxy{}
	proxy.target.Store(first.url)
	front := httptest.NewServer(proxy)
	defer front.Close()

	// The parties see only the proxy.
	e := &e2e{room: &roomtest.Room{Running: &operator.Running{URL: front.URL}}, dir: t.TempDir()}
	var err error
	for _, p := range []struct {
		key  *string
		name string
		role api.Role
	}{{&e.adv, "acme", api.RoleAdvertiser}, {&e.partner, "news", api.RoleMediaPartner}, {&e.aud, "audit-firm", api.RoleAuditor}} {
		if *p.key, err = operator.AddPartyIn(ctx, operator.Location{Store: loc.Store}, p.name, p.role); err != nil {
			t.Fatal(err)
		}
	}
	transcriptKey, err := operator.TranscriptKey(loc.Keys)
	if err != nil {
		t.Fatal(err)
	}
	e.roomKey = hex.EncodeToString(transcriptKey)
	cfg := synth.DefaultConfig()
	cfg.Seed, cfg.AdvertiserRows, cfg.PartnerRows = 7, 3000, 6000 // as TestEndToEndCLI: both sides of k
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
	if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
		t.Fatalf("no session id in %q", out)
	}
	e.mustRun(t, e.partner, "session", "join", id, "--yes")

	keys := filepath.Join(e.dir, "party-keys")
	advOut, partnerOut := filepath.Join(e.dir, "adv-out"), filepath.Join(e.dir, "pub-out")
	advMatch := []string{"match", id, "--in", e.advCSV, "--id-column", "email", "--segments-column", "segments",
		"--out", advOut, "--key-dir", filepath.Join(keys, "adv"), "--poll", "50ms"}
	partnerMatch := []string{"match", id, "--in", e.partnerCSV, "--id-column", "user_email", "--consent-column", "consent",
		"--out", partnerOut, "--key-dir", filepath.Join(keys, "pub"), "--poll", "50ms"}

	// The advertiser's match runs until the first replica dies under it;
	// the client retries, and may give up while no replica answers.
	var wg sync.WaitGroup
	var advCode, partnerCode int
	var advErr, partnerErr string
	wg.Go(func() { _, advErr, advCode = e.as(ctx, e.adv, advMatch...) })
	select {
	case <-first.killed:
	case <-time.After(time.Minute):
		t.Fatal("the first replica never committed the advertiser's part")
	}
	// As under a supervisor: the standby's start fails with ErrInUse until
	// PostgreSQL has seen the dead process's connection close.
	var second *operator.Running
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		second, err = startReplica(t, loc)
		if !errors.Is(err, pgstore.ErrInUse) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("replacement replica after SIGKILL: %v", err)
	}
	defer second.Stop()
	if !bytes.Equal(second.TranscriptKey, transcriptKey) {
		t.Fatal("the replacement signs with another transcript key")
	}
	secondURL, _ := url.Parse(second.URL)
	proxy.target.Store(secondURL)
	var partnerDone sync.WaitGroup
	partnerDone.Go(func() { _, partnerErr, partnerCode = e.as(ctx, e.partner, partnerMatch...) })
	wg.Wait()
	if advCode != exitOK {
		// Run again, as the CLI's message tells its user.
		t.Logf("the advertiser's match stopped while no replica served (exit %d: %s); resuming it", advCode, advErr)
		_, advErr, advCode = e.as(ctx, e.adv, advMatch...)
	}
	partnerDone.Wait()
	if advCode != exitOK || partnerCode != exitOK {
		t.Fatalf("match through the replacement: advertiser exit %d (%s), partner exit %d (%s)", advCode, advErr, partnerCode, partnerErr)
	}
	checkResults(t, e, id, pol, truth)
	// The parts are in the bucket, nowhere on a replica's disk, and no
	// temporary object is left.
	bl, err := s3blobs.Open(loc.Blobs)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := bl.List(ctx, "parts/"+id+"/")
	if err != nil || len(stored) < 4 {
		t.Errorf("part objects in the bucket: %q, %v", stored, err)
	}
	for _, o := range stored {
		if strings.Contains(o.Key, blobs.TempMarker) {
			t.Errorf("temporary object left: %s", o.Key)
		}
	}
	if entries, _ := os.ReadDir(loc.Keys); len(entries) != 3 {
		t.Errorf("the keys directory holds %d entries, want the keyring directory and two key files", len(entries))
	}
	checkActivationFile(t, filepath.Join(partnerOut, "activation.csv"), truth.Released(int(pol.K)))

	tpath := filepath.Join(e.dir, "transcript.json")
	e.mustRun(t, e.aud, "session", "transcript", id, "--out", tpath)
	if out, errOut, code := runCLI(t, "", "audit", "verify", tpath, "--server-key", e.roomKey); code != exitOK || !strings.Contains(out, "ok ") {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
}

// startReplica starts an in-process replica at loc.
func startReplica(t *testing.T, loc operator.Location) (*operator.Running, error) {
	return operator.Start(context.Background(), operator.Config{
		Store: loc.Store, Blobs: loc.Blobs, Keys: loc.Keys, Addr: "127.0.0.1:0",
		Logger: roomtest.Logger(t),
	})
}

// binaryReplica is blindjoind serve as a process, killed with SIGKILL from
// its log reader as soon as it logs that it committed a part of acme's.
type binaryReplica struct {
	cmd    *exec.Cmd
	url    *url.URL
	killed chan struct{}
	done   chan struct{}
}

func startBinaryReplica(t *testing.T, bin string, loc operator.Location) *binaryReplica {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = append(os.Environ(), "BLINDJOIN_STORE="+loc.Store, "BLINDJOIN_BLOBS="+loc.Blobs, "BLINDJOIN_KEYS="+loc.Keys)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &binaryReplica{cmd: cmd, killed: make(chan struct{}), done: make(chan struct{})}
	serving := make(chan string, 1)
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			switch {
			case m["msg"] == "blindjoind serving":
				serving <- m["addr"].(string)
			case m["msg"] == "part received" && m["party"] == "acme":
				cmd.Process.Kill()
				close(r.killed)
				return
			}
		}
	}()
	select {
	case addr := <-serving:
		r.url = &url.URL{Scheme: "http", Host: addr}
	case <-r.done:
		t.Fatal("blindjoind exited before serving")
	case <-time.After(time.Minute):
		t.Fatal("blindjoind did not start serving")
	}
	return r
}

func (r *binaryReplica) kill() {
	r.cmd.Process.Kill()
	r.cmd.Wait()
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
