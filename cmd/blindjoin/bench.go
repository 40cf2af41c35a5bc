package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

func init() {
	register("bench", "run a whole session on this machine and report time, CPU, memory and traffic", runBench)
}

// benchOptions are the flags of `blindjoin bench`.
type benchOptions struct {
	rows          int
	overlap       float64
	cores         int
	floorElements int
	asJSON        bool
	dir           string
	keep          bool
	profile       bool
}

// Names of the bench parties in the clean room's registry.
const (
	benchAdvertiser = "bench-advertiser"
	benchPartner    = "bench-partner"
)

func runBench(args []string, io stdio) int {
	if code, ok := runBenchChild(args, io); ok {
		return code
	}
	fs := newFlags("bench", io)
	var o benchOptions
	fs.IntVar(&o.rows, "rows", 100_000, "data rows of each party's file")
	fs.Float64Var(&o.overlap, "overlap", 0.5, "share of the advertiser's people in the partner's audience (0..1)")
	fs.IntVar(&o.cores, "cores", 0, "run every process on the first `N` CPUs only (0: all); GOMAXPROCS follows")
	fs.IntVar(&o.floorElements, "floor-elements", 0, "elements blinded and re-blinded to measure the floor, half before and half after the session (0: a fifth of --rows, 40,000 to 200,000)")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object")
	fs.StringVar(&o.dir, "dir", "", "work `directory`, kept afterwards (default: a new temporary directory, removed unless --keep)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary work directory (inputs, outputs, logs, data)")
	fs.BoolVar(&o.profile, "cpuprofile", false, "write a CPU profile of each process into the work directory")
	if _, code, ok := parseOrUsage(fs, args); !ok {
		return code
	}
	if o.rows < 2000 || o.rows > 10_000_000 || !(o.overlap >= 0 && o.overlap <= 1) || o.cores < 0 || o.floorElements < 0 {
		fmt.Fprintln(io.err, "blindjoin bench: --rows must be 2000..10000000, --overlap 0..1, --cores and --floor-elements not negative")
		return exitUsage
	}
	if o.floorElements == 0 {
		o.floorElements = min(max(o.rows/5, 40_000), 200_000)
	}
	rep, err := runBenchSession(context.Background(), o, io)
	if err != nil {
		fmt.Fprintf(io.err, "blindjoin bench: %v\n", err)
		return exitFail
	}
	if o.asJSON {
		enc := json.NewEncoder(io.out)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.writeText(io.out)
	}
	if err != nil {
		return exitFail
	}
	if !rep.OverlapCorrect {
		return exitFail
	}
	return exitOK
}

// benchRoom is the clean room of a bench run, with the session it holds
// and a client for each party.
type benchRoom struct {
	srv            *benchServer
	url            string
	advKey, pubKey string
	adv            *client.Client
	sess           api.Session
	pol            policy.Policy
}

// runBenchSession runs one benchmark session and returns its report.
func runBenchSession(ctx context.Context, o benchOptions, io stdio) (*benchReport, error) {
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "blindjoin-bench-"); err != nil {
			return nil, err
		}
		if !o.keep && !o.profile {
			defer os.RemoveAll(dir)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if o.dir == "" && (o.keep || o.profile) {
		fmt.Fprintf(io.err, "work directory: %s\n", dir)
	}
	progress := func(format string, a ...any) { fmt.Fprintf(io.err, "bench: "+format+"\n", a...) }
	rep := newBenchReport(o)

	progress("starting the clean room")
	room, err := startBenchRoom(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	defer room.srv.cmd.Process.Kill() // a no-op once it stopped

	progress("writing %d x %d rows and computing the expected result", o.rows, o.rows)
	setupStart := time.Now()
	data, err := makeBenchData(dir, o.rows, o.overlap, room.pol)
	if err != nil {
		return nil, fmt.Errorf("synthetic data: %w", err)
	}
	rep.SetupSeconds = time.Since(setupStart).Seconds()

	progress("measuring the floor")
	floors, err := benchRunFloors(ctx, dir, o)
	if err != nil {
		return nil, err
	}

	progress("running the session")
	rep.LoadBefore = benchLoadAverage()
	parties, outputs, err := room.runParties(ctx, dir, o, data)
	rep.LoadAfter = benchLoadAverage()
	if err != nil {
		return nil, err
	}
	raw, err := room.adv.Transcript(ctx, room.sess.ID)
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	tr, err := transcript.ParseTranscript(raw)
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	if err := room.srv.stop(); err != nil {
		return nil, err
	}

	progress("measuring the floor again")
	after, err := benchRunFloors(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	rep.fill(parties, room.srv.benchChild, outputs, tr, append(floors, after...))
	rep.Correct, err = data.check(room.pol, outputs[api.RoleAdvertiser], outputs[api.RoleMediaPartner],
		filepath.Join(dir, api.RoleMediaPartner, "activation.csv"))
	if err != nil {
		return nil, fmt.Errorf("checking the results: %w", err)
	}
	rep.OverlapCorrect = len(rep.Correct.Problems) == 0
	return rep, nil
}

// startBenchRoom registers the two parties in a new data directory, starts
// the clean room on it, and creates and joins a session with the default
// policy, as `blindjoin session create` and `session join` would.
func startBenchRoom(ctx context.Context, dir string, o benchOptions) (*benchRoom, error) {
	dataDir := filepath.Join(dir, "server")
	r := &benchRoom{}
	var err error
	if r.advKey, err = addParty(ctx, dataDir, benchAdvertiser, api.RoleAdvertiser); err != nil {
		return nil, err
	}
	if r.pubKey, err = addParty(ctx, dataDir, benchPartner, api.RoleMediaPartner); err != nil {
		return nil, err
	}
	args := []string{"--data", dataDir}
	if o.profile {
		args = append(args, "--cpuprofile", filepath.Join(dir, "server.pprof"))
	}
	if r.srv, err = benchStartServer(ctx, dir, o.cores, args...); err != nil {
		return nil, err
	}
	r.url = "http://" + r.srv.addr
	if r.adv, err = client.New(client.Config{BaseURL: r.url, APIKey: client.Secret(r.advKey)}); err != nil {
		return r, err
	}
	pub, err := client.New(client.Config{BaseURL: r.url, APIKey: client.Secret(r.pubKey)})
	if err != nil {
		return r, err
	}
	r.sess, err = r.adv.CreateSession(ctx, api.CreateSessionRequest{Partner: benchPartner, MatchKey: api.MatchKeyEmail, Segments: benchSegments})
	if err != nil {
		return r, fmt.Errorf("creating the session: %w", err)
	}
	if _, err := pub.Join(ctx, r.sess.ID, r.sess.PolicyHash); err != nil {
		return r, fmt.Errorf("joining the session: %w", err)
	}
	r.pol, err = policy.Parse(r.sess.Policy)
	return r, err
}

// runParties runs both parties' flows as child processes at the same time
// and returns them with their outputs. If one fails, the other is stopped:
// it would wait for its counterpart forever.
func (r *benchRoom) runParties(ctx context.Context, dir string, o benchOptions, data *benchData) (map[string]*benchChild, map[string]benchPartyOutput, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parties := map[string]*benchChild{}
	for _, p := range []struct {
		role, key, in string
		args          []string
	}{
		{api.RoleAdvertiser, r.advKey, data.advFile, []string{"--id-column", "email", "--segments-column", "segments", "--consent-column", "consent"}},
		{api.RoleMediaPartner, r.pubKey, data.partnerFile, []string{"--id-column", "user_email", "--consent-column", "consent"}},
	} {
		args := append([]string{benchChildParty,
			"--url", r.url, "--session", r.sess.ID, "--role", p.role, "--in", p.in,
			"--out", filepath.Join(dir, p.role), "--keys", filepath.Join(dir, p.role+"-keys"),
		}, p.args...)
		if o.profile {
			args = append(args, "--cpuprofile", filepath.Join(dir, p.role+".pprof"))
		}
		c, err := benchStartChild(ctx, dir, p.role, o.cores, []string{benchKeyEnv + "=" + p.key}, nil, args...)
		if err != nil {
			return nil, nil, err
		}
		parties[p.role] = c
	}
	type result struct {
		role string
		out  benchPartyOutput
		err  error
	}
	results := make(chan result, len(parties))
	for role, c := range parties {
		go func() {
			res := result{role: role, err: c.wait()}
			if res.err == nil {
				if err := json.Unmarshal(c.stdout.Bytes(), &res.out); err != nil {
					res.err = fmt.Errorf("%s: output: %w", role, err)
				}
				c.usage.reported(res.out.PeakRSS)
			}
			results <- res
		}()
	}
	outputs := map[string]benchPartyOutput{}
	var errs error
	for range parties {
		res := <-results
		if res.err != nil {
			cancel()
			errs = errors.Join(errs, res.err)
		}
		outputs[res.role] = res.out
	}
	return parties, outputs, errs
}

// benchFloorRuns is the number of floor measurements before the session,
// and again after it: the machine's speed drifts when it is shared, and
// the median of several short runs on both sides of the session follows
// it better than one long run.
const benchFloorRuns = 3

// benchRunFloors measures the floor benchFloorRuns times, each in a child
// pinned like the pipeline, with half of o.floorElements in all.
func benchRunFloors(ctx context.Context, dir string, o benchOptions) ([]benchFloorResult, error) {
	n := strconv.Itoa(max(o.floorElements/(2*benchFloorRuns), 1))
	var out []benchFloorResult
	for range benchFloorRuns {
		c, err := benchStartChild(ctx, dir, "floor", o.cores, nil, nil, benchChildFloor, "--elements", n)
		if err != nil {
			return nil, err
		}
		if err := c.wait(); err != nil {
			return nil, err
		}
		var f benchFloorResult
		if err := json.Unmarshal(c.stdout.Bytes(), &f); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}
