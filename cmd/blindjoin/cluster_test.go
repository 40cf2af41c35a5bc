package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/blindjoin/blindjoin/cleanroom/blobs/s3blobs"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/pgtest"
	"github.com/blindjoin/blindjoin/internal/proc"
	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// clusterLocation returns a Location on a fresh schema of the
// BLINDJOIN_TEST_POSTGRES database, a fresh bucket of the BLINDJOIN_TEST_S3
// server and a keys directory made by InitKeys, with no data directory:
// what a replica of a cluster runs on. It skips when either server is
// missing (.ci/run starts both).
func clusterLocation(t *testing.T) operator.Location {
	t.Helper()
	s3URL := os.Getenv("BLINDJOIN_TEST_S3")
	if os.Getenv(pgtest.Var) == "" || s3URL == "" {
		t.Skip("BLINDJOIN_TEST_POSTGRES and BLINDJOIN_TEST_S3 must both be set: no PostgreSQL or S3 server to test against (.ci/run starts them)")
	}
	ctx := context.Background()
	pgURL, name := pgtest.Schema(t, "cluster_")

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
		Store: pgURL,
		Blobs: "s3://" + bucket + "?endpoint=" + url.QueryEscape(s3URL),
		Keys:  keys,
	}
}

// buildBlindjoind builds the blindjoind binary for the test.
func buildBlindjoind(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "blindjoind")
	if out, err := exec.Command("go", "build", "-o", bin, "../blindjoind").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// clusterProcess is one blindjoind process of a test cluster, `serve` or
// `worker`, the built binary on the cluster's Location (given in the
// BLINDJOIN_* environment, as an operator's unit file would). Its JSON
// log goes to a file whose end the test shows if it fails.
type clusterProcess struct {
	name string
	cmd  *exec.Cmd
	addr string        // serve: where it listens
	log  string        // the log file's path
	done chan struct{} // closed once it exited and was waited for
}

// startServe starts `blindjoind serve` on addr (host:port; port 0 for any)
// and waits until it serves.
func startServe(t *testing.T, bin string, loc operator.Location, name, addr string, flags ...string) *clusterProcess {
	t.Helper()
	return startClusterProcess(t, bin, loc, name, append([]string{"serve", "--addr", addr}, flags...)...)
}

// startWorker starts `blindjoind worker`, which runs jobs only.
func startWorker(t *testing.T, bin string, loc operator.Location, name string, flags ...string) *clusterProcess {
	t.Helper()
	return startClusterProcess(t, bin, loc, name, append([]string{"worker"}, flags...)...)
}

func startClusterProcess(t *testing.T, bin string, loc operator.Location, name string, args ...string) *clusterProcess {
	t.Helper()
	cmd := exec.Command(bin, append(args, "--log-format", "json")...)
	cmd.Env = append(os.Environ(), "BLINDJOIN_STORE="+loc.Store, "BLINDJOIN_BLOBS="+loc.Blobs, "BLINDJOIN_KEYS="+loc.Keys)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &clusterProcess{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			showLogTail(t, name, logPath)
		}
	})
	serving := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			logFile.Write(append(sc.Bytes(), '\n'))
			var m struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Msg == "blindjoind serving" {
				serving <- m.Addr
			}
		}
		logFile.Close()
		cmd.Wait()
	}()
	if args[0] != "serve" {
		return p
	}
	select {
	case p.addr = <-serving:
	case <-p.done:
		t.Fatalf("%s exited before serving", name) // its log follows
	case <-time.After(time.Minute):
		t.Fatalf("%s did not start serving", name)
	}
	return p
}

// showLogTail logs the last lines of a process's log.
func showLogTail(t *testing.T, name, path string) {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	t.Logf("%s's log, last lines:\n%s", name, strings.Join(lines[max(0, len(lines)-40):], "\n"))
}

// loggedJob returns the attempt numbers of the records of p's log with
// message msg about a job of kind on session.
func (p *clusterProcess) loggedJob(t *testing.T, msg string, kind store.JobKind, session string) []int {
	t.Helper()
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	var attempts []int
	for line := range strings.Lines(string(b)) {
		var r struct {
			Msg, Job, Session string
			Attempt           int
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Msg == msg && r.Job == string(kind) && r.Session == session {
			attempts = append(attempts, r.Attempt)
		}
	}
	return attempts
}

// kill ends the process with SIGKILL, as a crash or an OOM killer would,
// and waits for it to be gone.
func (p *clusterProcess) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// terminate sends SIGTERM and returns the exit status once the process
// drained and exited; -1 if it did not within a minute (it is then
// killed).
func (p *clusterProcess) terminate() int {
	proc.Terminate(p.cmd.Process)
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		p.kill()
		return -1
	}
}

func (p *clusterProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// s3Gate is an HTTP relay between the blindjoind processes and the S3
// server that holds every GET of a re-blinded part until it is opened.
// Only the join reads re-blinded parts, so the process that claimed a
// session's join job stops at its first read, holding the job's lease, for
// as long as the test wants: the join is then "in the middle" for certain,
// whatever the machine's speed. Everything else passes at once, so the
// processes serve, relay and upload as usual, and /readyz is unaffected.
type s3Gate struct {
	url    string
	held   chan string   // the key of each read held, as it arrives
	opened chan struct{} // closed by open
	once   sync.Once
}

func newS3Gate(t *testing.T) *s3Gate {
	t.Helper()
	target, err := url.Parse(os.Getenv("BLINDJOIN_TEST_S3"))
	if err != nil {
		t.Fatal(err)
	}
	g := &s3Gate{held: make(chan string, 64), opened: make(chan struct{})}
	// The Host header is passed on unchanged: it is part of what the
	// processes signed.
	relay := httputil.NewSingleHostReverseProxy(target)
	relay.ErrorLog = log.New(io.Discard, "", 0) // a killed reader's request ends so
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/"+string(store.LegReblinded)+"-") {
			select {
			case g.held <- r.URL.Path:
			default:
			}
			select {
			case <-g.opened:
			case <-r.Context().Done():
				return
			}
		}
		relay.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		g.open()
		srv.Close()
	})
	g.url = srv.URL
	return g
}

// open lets every held and later read through.
func (g *s3Gate) open() { g.once.Do(func() { close(g.opened) }) }

// behind returns loc with its bucket reached through the gate.
func (g *s3Gate) behind(t *testing.T, loc operator.Location) operator.Location {
	t.Helper()
	u, err := url.Parse(loc.Blobs)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("endpoint", g.url)
	u.RawQuery = q.Encode()
	loc.Blobs = u.String()
	return loc
}

// cutBody is a request body that calls cut once the first `after` bytes
// (or the whole body, if shorter) have been read, before passing them on:
// cut runs while the upload is in flight, the replica has part of it and
// has not answered.
type cutBody struct {
	io.ReadCloser
	after int
	read  int
	cut   func()
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += n
	if b.cut != nil && (b.read >= b.after || err != nil) {
		b.cut()
		b.cut = nil
	}
	return n, err
}

// clusterDB is a connection to the cluster's schema, for what the test
// observes in the database.
type clusterDB struct {
	conn *pgx.Conn
	mu   sync.Mutex // a pgx.Conn is not safe for concurrent use
}

func openClusterDB(t *testing.T, loc operator.Location) *clusterDB {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), loc.Store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &clusterDB{conn: conn}
}

// committedPart is a row of the parts table.
type committedPart struct {
	Side, Leg, File      string
	Index, Records, Size int64
	Digest               []byte
}

// parts lists the committed parts of session id.
func (db *clusterDB) parts(ctx context.Context, id string) ([]committedPart, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	rows, err := db.conn.Query(ctx, `SELECT side, leg, file, idx, records, size, digest FROM parts WHERE session = $1 ORDER BY side, leg, idx`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[committedPart])
}

// joinJob is the queued join job of session id, if any.
func (db *clusterDB) joinJob(ctx context.Context, id string) (owner string, attempts int, found bool, err error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	err = db.conn.QueryRow(ctx, `SELECT COALESCE(owner, ''), attempts FROM jobs WHERE kind = $1 AND session = $2`,
		string(store.JobJoin), id).Scan(&owner, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, false, nil
	}
	return owner, attempts, err == nil, err
}

// ownerPID is the process id in a job owner, "HOSTNAME/PID/RANDOM".
func ownerPID(owner string) (int, bool) {
	f := strings.Split(owner, "/")
	if len(f) != 3 {
		return 0, false
	}
	pid, err := strconv.Atoi(f[1])
	return pid, err == nil
}

// TestClusterFailover is the cluster end-to-end test of issue 13: two
// `blindjoind serve` replicas and one `blindjoind worker` (the built
// binary) on one fresh PostgreSQL schema, one bucket and one keys
// directory, with a 3 s job lease, behind a load balancer
// (cluster_balancer_test.go) that health-checks /readyz and takes a
// replica out at the first refused connection.
//
// "The advertiser talks to replica 1 and the partner to replica 2" is
// read as source affinity: the balancer has a front for each party, the
// advertiser's sticks to replica 1 and the partner's to replica 2 while
// they live, and each moves to the next live replica when its own is
// taken out. So until the first kill, everything the advertiser uploads
// goes through replica 1 and everything the partner reads of it through
// replica 2 (tokens, sessions, parts and results are shared through the
// database, the bucket and the keys directory only).
//
// Two SIGKILLs:
//   - Replica 1, in the middle of the advertiser's upload of its
//     re-blinded set (its blinded part is committed by then): the
//     balancer kills it once 16 KiB of the PUT's body have gone through.
//     The client's retry goes to replica 2. A supervisor then restarts
//     replica 1 on its address, and the balancer's health check takes it
//     back.
//   - The process holding the lease of the join job, in the middle of
//     the join: the processes reach the bucket through s3Gate, which holds
//     the join's first read of a re-blinded part until the test opens it,
//     so the holder (whichever claimed the job: replica 2 or the worker)
//     is found in the jobs table (owner "HOST/PID/RANDOM"), killed while
//     it holds the lease, and the test then sees another live process
//     claim the job after the lease ran out, as its second attempt, before
//     it opens the gate. If the holder was replica 2, the parties go on
//     through the restarted replica 1.
//
// The parties' `blindjoin match` runs go on (a run that gives up while no
// replica answers is run again, as its message tells its user, and
// resumes). The results are exactly the plaintext truth, the transcript
// verifies under the one transcript key, every part committed when
// replica 1 died and at the end is in the bucket with its recorded size
// and digest, and the surviving processes drain and exit 0 on SIGTERM.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the blindjoind binary; skipped with -short")
	}
	loc := clusterLocation(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bin := buildBlindjoind(t)
	gate := newS3Gate(t)
	procLoc := gate.behind(t, loc)
	const lease = "3s"
	r1 := startServe(t, bin, procLoc, "replica-1", "127.0.0.1:0", "--job-lease", lease)
	r2 := startServe(t, bin, procLoc, "replica-2", "127.0.0.1:0", "--job-lease", lease)
	worker := startWorker(t, bin, procLoc, "worker", "--job-lease", lease)
	procs := []*clusterProcess{r1, r2, worker}
	lb := newBalancer(t, r1.addr, r2.addr)
	advFront, partnerFront := lb.stickyTo(t, 0), lb.stickyTo(t, 1)
	db := openClusterDB(t, loc)

	e := &e2e{room: &roomtest.Room{Running: &operator.Running{URL: advFront.URL}}, dir: t.TempDir()}
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
	e.writeData(t)
	pe := *e // the partner's view: the same parties and files, through its own front
	pe.room = &roomtest.Room{Running: &operator.Running{URL: partnerFront.URL}}
	polFile, pol, truth := e.policyAndTruth(t)

	out := e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email", "--policy", polFile,
		"--segments-from", e.advCSV, "--auditors", "audit-firm")
	id := strings.Fields(out)[len(strings.Fields(out))-1]
	if _, err := hex.DecodeString(id); err != nil || len(id) != 32 {
		t.Fatalf("no session id in %q", out)
	}
	pe.mustRun(t, e.partner, "session", "join", id, "--yes")

	// Replica 1 dies in the middle of the advertiser's re-blinded upload;
	// what was committed then is noted before the client can retry.
	var atKill []committedPart
	var atKillErr error
	uploadKilled := make(chan struct{})
	var tapOnce sync.Once
	advFront.tap = func(be int, r *http.Request) {
		if be != 0 || r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/reblinded") {
			return
		}
		tapOnce.Do(func() {
			r.Body = &cutBody{ReadCloser: r.Body, after: 16 << 10, cut: func() {
				r1.kill()
				atKill, atKillErr = db.parts(ctx, id)
				close(uploadKilled)
			}}
		})
	}

	keys := filepath.Join(e.dir, "party-keys")
	advOut, partnerOut := filepath.Join(e.dir, "adv-out"), filepath.Join(e.dir, "pub-out")
	advMatch := []string{"match", id, "--in", e.advCSV, "--id-column", "email", "--segments-column", "segments",
		"--out", advOut, "--key-dir", filepath.Join(keys, "adv"), "--poll", "50ms"}
	partnerMatch := []string{"match", id, "--in", e.partnerCSV, "--id-column", "user_email", "--consent-column", "consent",
		"--out", partnerOut, "--key-dir", filepath.Join(keys, "pub"), "--poll", "50ms"}
	var wg sync.WaitGroup
	var advCode, partnerCode int
	var advErr, partnerErr string
	wg.Go(func() { _, advErr, advCode = e.as(ctx, e.adv, advMatch...) })
	wg.Go(func() { _, partnerErr, partnerCode = pe.as(ctx, e.partner, partnerMatch...) })

	select {
	case <-uploadKilled:
	case <-time.After(2 * time.Minute):
		t.Fatal("the advertiser never uploaded its re-blinded set through replica 1")
	}
	if atKillErr != nil {
		t.Fatal(atKillErr)
	}
	if !slices.ContainsFunc(atKill, func(p committedPart) bool {
		return p.Side == string(api.RoleAdvertiser) && p.Leg == string(store.LegBlinded)
	}) || slices.ContainsFunc(atKill, func(p committedPart) bool {
		return p.Side == string(api.RoleAdvertiser) && p.Leg == string(store.LegReblinded)
	}) {
		t.Fatalf("parts committed when replica 1 died: %+v; want the advertiser's blinded part and none of its re-blinded set", atKill)
	}

	// Both re-blinded sets get committed through replica 2; the join job's
	// holder stops at its first read.
	var heldKey string
	select {
	case heldKey = <-gate.held:
	case <-time.After(2 * time.Minute):
		t.Fatal("no process started the join")
	}
	// Replica 1's supervisor restarts it on its address.
	r1 = startServe(t, bin, procLoc, "replica-1-restarted", r1.addr, "--job-lease", lease)
	procs = append(procs, r1)
	waitFor(t, "the balancer to take the restarted replica 1 back", func() bool { return lb.backends[0].live.Load() })

	holder, taker := killJoinHolder(t, db, procs, id, heldKey)
	gate.open()

	wg.Wait()
	// A run that gave up while no replica answered is run again, as the
	// CLI's message tells its user.
	if advCode != exitOK {
		t.Logf("the advertiser's match stopped (exit %d: %s); resuming it", advCode, advErr)
		_, advErr, advCode = e.as(ctx, e.adv, advMatch...)
	}
	if partnerCode != exitOK {
		t.Logf("the partner's match stopped (exit %d: %s); resuming it", partnerCode, partnerErr)
		_, partnerErr, partnerCode = pe.as(ctx, e.partner, partnerMatch...)
	}
	if advCode != exitOK || partnerCode != exitOK {
		t.Fatalf("match: advertiser exit %d (%s), partner exit %d (%s)", advCode, advErr, partnerCode, partnerErr)
	}
	t.Logf("answers through the balancer:%s", showStatuses(lb.Statuses()))
	// The process that took the join over says so, and finished it (its
	// log may reach the file a moment after the commit).
	waitFor(t, taker.name+" to log the join done", func() bool {
		return len(taker.loggedJob(t, "job done", store.JobJoin, id)) > 0
	})
	if took := taker.loggedJob(t, "job taken over after its lease ran out", store.JobJoin, id); len(took) != 1 || took[0] < 2 {
		t.Errorf("%s logged the join's takeover at attempts %v, want once at attempt 2 or later", taker.name, took)
	}

	checkResults(t, e, id, pol, truth)
	checkActivationFile(t, filepath.Join(partnerOut, "activation.csv"), truth.Released(int(pol.K)))
	tpath := filepath.Join(e.dir, "transcript.json")
	e.mustRun(t, e.aud, "session", "transcript", id, "--out", tpath)
	if out, errOut, code := runCLI(t, "", "audit", "verify", tpath, "--server-key", e.roomKey); code != exitOK || !strings.Contains(out, "ok ") {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}

	// Nothing committed is lost.
	final, err := db.parts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range atKill {
		if !slices.ContainsFunc(final, func(f committedPart) bool { return f.File == p.File && bytes.Equal(f.Digest, p.Digest) }) {
			t.Errorf("part %s, committed when replica 1 died, is no longer recorded", p.File)
		}
	}
	checkPartsReadable(t, loc, final)
	if entries, _ := os.ReadDir(loc.Keys); len(entries) != 3 {
		t.Errorf("the keys directory holds %d entries, want the keyring directory and two key files", len(entries))
	}

	// The others are alive, and drain and exit 0 on SIGTERM.
	for _, p := range procs {
		if p == procs[0] || p == holder {
			continue
		}
		if p.exited() {
			t.Errorf("%s exited: %v", p.name, p.cmd.ProcessState)
		} else if code := p.terminate(); code != 0 {
			t.Errorf("%s on SIGTERM: exit status %d, want 0", p.name, code)
		}
	}
}

// killJoinHolder kills the process of procs that holds the lease of
// session id's join job, held at the gate reading heldKey, and waits for
// another live process to claim the job after the lease ran out, as the
// job's second attempt at least. It returns the process it killed and the
// one that took the job over.
func killJoinHolder(t *testing.T, db *clusterDB, procs []*clusterProcess, id, heldKey string) (holder, taker *clusterProcess) {
	t.Helper()
	ctx := context.Background()
	owner, attempts, found, err := db.joinJob(ctx, id)
	if err != nil || !found || owner == "" {
		t.Fatalf("the join job while %s is held: owner %q, found %v, %v", heldKey, owner, found, err)
	}
	holder = processOf(procs, owner)
	if holder == nil || holder.exited() {
		t.Fatalf("the join job's owner %q is no live process of this test", owner)
	}
	t.Logf("%s holds the join job (attempt %d) and reads %s; killing it", holder.name, attempts, heldKey)
	holder.kill()

	// After the lease, another process claims the job again and is held
	// at the same read; then the join may finish.
	var takerOwner string
	waitFor(t, "another process to claim the join job after the lease", func() bool {
		o, a, found, err := db.joinJob(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !found || o == "" || o == owner {
			return false
		}
		if a < 2 {
			t.Fatalf("the join job was claimed by %q with %d attempts after %q died holding it", o, a, owner)
		}
		takerOwner = o
		return true
	})
	taker = processOf(procs, takerOwner)
	if taker == nil || taker.exited() || taker == holder {
		t.Fatalf("the join job was taken over by %q, no other live process of this test", takerOwner)
	}
	t.Logf("%s took the join job over after the lease", taker.name)
	return holder, taker
}

// processOf is the process of this test that a job owner names, or nil.
func processOf(procs []*clusterProcess, owner string) *clusterProcess {
	pid, ok := ownerPID(owner)
	if !ok {
		return nil
	}
	for _, p := range procs {
		if p.cmd.Process.Pid == pid {
			return p
		}
	}
	return nil
}

// checkPartsReadable reads every part back from the bucket, around any
// gate, as the join does: a valid part of its recorded size, record count
// and digest.
func checkPartsReadable(t *testing.T, loc operator.Location, parts []committedPart) {
	t.Helper()
	bl, err := s3blobs.Open(loc.Blobs)
	if err != nil {
		t.Fatal(err)
	}
	legs := map[string]bool{}
	for _, p := range parts {
		legs[p.Side+" "+p.Leg] = true
		if err := readPartBack(bl, p); err != nil {
			t.Errorf("part %s: %v", p.File, err)
		}
	}
	// Both sides' blinded, re-blinded and relay legs.
	if len(legs) != 6 {
		t.Errorf("committed parts cover %d sides and legs, want 6: %v", len(legs), slices.Sorted(maps.Keys(legs)))
	}
}

func readPartBack(bl *s3blobs.Store, p committedPart) error {
	f, err := bl.Open(context.Background(), p.File)
	if err != nil {
		return err
	}
	defer f.Close()
	counted := &countingReader{r: f}
	rd, err := wire.NewReader(bufio.NewReader(counted))
	if err != nil {
		return err
	}
	var records int64
	for ; ; records++ {
		if _, err := rd.Next(); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
	}
	if d := rd.Digest(); !bytes.Equal(d[:], p.Digest) || records != p.Records || counted.n != p.Size {
		return fmt.Errorf("%d records, %d bytes, digest %x; recorded: %d records, %d bytes, digest %x", records, counted.n, d, p.Records, p.Size, p.Digest)
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// waitFor polls cond for up to a minute; what says what it waits for.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited a minute for %s", what)
}
