package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// Options are the settings of one run (the flags of blindjoin-bench).
type Options struct {
	Rows    int     // data rows of each party's file
	Overlap float64 // share of the advertiser's people in the partner's audience (0..1)
	Cores   int     // run every process on the first Cores CPUs only (0: all)
	// FloorElements are blinded and re-blinded to measure the floor, half
	// before and half after the session (0: DefaultFloorElements(Rows)).
	FloorElements int
	Dir           string // work directory, kept afterwards ("": a new temporary one)
	Keep          bool   // keep the temporary work directory
	Profile       bool   // write a CPU profile of each process into the work directory
	// Keys are the match keys of a multi-key session, in order (nil: the
	// one-key session on e-mail). Each party's file then has an e-mail,
	// a phone and a MAID column (partner/synth.KeyedAudiences).
	Keys []string
	// Store and Blobs run the clean room on PostgreSQL and S3 (the
	// --store and --blobs of blindjoind serve; S3 credentials from the
	// environment); empty: SQLite and files in the work directory. Store
	// must name an empty schema: the bench registers its parties there.
	Store, Blobs string
	// MemoryBudget is the clean room's --memory-budget in bytes (0: its
	// default, operator.DefaultMemoryBudget); the report sets the
	// server's peak RSS beside it.
	MemoryBudget int64
}

// Limits of Options.Rows.
const (
	MinRows = 2000
	MaxRows = 10_000_000
)

// memoryBudget is the server's budget in bytes.
func (o Options) memoryBudget() int64 { return cmp.Or(o.MemoryBudget, operator.DefaultMemoryBudget) }

// Check reports options no run can take.
func (o Options) Check() error {
	if o.Rows < MinRows || o.Rows > MaxRows || !(o.Overlap >= 0 && o.Overlap <= 1) || o.Cores < 0 || o.FloorElements < 0 {
		return fmt.Errorf("--rows must be %d..%d, --overlap 0..1, --cores and --floor-elements not negative", MinRows, MaxRows)
	}
	if o.MemoryBudget != 0 && o.MemoryBudget < operator.MinMemoryBudget {
		return fmt.Errorf("--memory-budget must be at least %d MiB", operator.MinMemoryBudget>>20)
	}
	if len(o.Keys) > 0 {
		p := policy.Default()
		p.MatchKeys = o.Keys
		if err := p.Validate(); err != nil {
			return fmt.Errorf("--keys: %w", err)
		}
	}
	return nil
}

// DefaultFloorElements is a fifth of the rows, 40,000 to 200,000: enough
// for a stable median, short next to the session.
func DefaultFloorElements(rows int) int {
	return min(max(rows/5, 40_000), 200_000)
}

// Names of the bench parties in the clean room's registry.
const (
	advertiserName = "bench-advertiser"
	partnerName    = "bench-partner"
)

// room is the clean room of a bench run, with the session it holds
// and a client for each party.
type room struct {
	srv                *server
	url                string
	advKey, partnerKey string
	adv                *client.Client
	sess               api.Session
	pol                policy.Policy
}

// Run runs one benchmark session and returns its report.
// Progress lines go to progress. The run's processes are children
// re-executing this binary (see ChildMain), which must therefore be a
// binary whose main calls ChildMain first.
func Run(ctx context.Context, o Options, progress io.Writer) (*Report, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if o.FloorElements == 0 {
		o.FloorElements = DefaultFloorElements(o.Rows)
	}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "blindjoin-bench-"); err != nil {
			return nil, err
		}
		if !o.Keep && !o.Profile {
			defer os.RemoveAll(dir)
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if o.Dir == "" && (o.Keep || o.Profile) {
		fmt.Fprintf(progress, "work directory: %s\n", dir)
	}
	step := func(format string, a ...any) { fmt.Fprintf(progress, "bench: "+format+"\n", a...) }
	rep := newReport(o)

	step("starting the clean room")
	room, err := startRoom(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	defer room.srv.cmd.Process.Kill() // a no-op once it stopped

	step("writing %d x %d rows and computing the expected result", o.Rows, o.Rows)
	setupStart := time.Now()
	data, err := makeData(dir, o, room.pol)
	if err != nil {
		return nil, fmt.Errorf("synthetic data: %w", err)
	}
	rep.SetupSeconds = time.Since(setupStart).Seconds()

	step("measuring the floor")
	floors, err := runFloors(ctx, dir, o, FloorRuns, false)
	if err != nil {
		return nil, err
	}
	portable, err := runFloors(ctx, dir, o, PortableFloorRuns, true)
	if err != nil {
		return nil, err
	}

	step("running the session")
	rep.LoadBefore = loadAverage()
	parties, outputs, err := room.runParties(ctx, dir, o, data)
	rep.LoadAfter = loadAverage()
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

	step("measuring the floor again")
	after, err := runFloors(ctx, dir, o, FloorRuns, false)
	if err != nil {
		return nil, err
	}
	portableAfter, err := runFloors(ctx, dir, o, PortableFloorRuns, true)
	if err != nil {
		return nil, err
	}
	rep.fill(parties, room.srv.child, outputs, tr, append(floors, after...))
	rep.fillPortable(append(portable, portableAfter...))
	rep.Correct, err = data.check(room.pol, outputs[api.RoleAdvertiser], outputs[api.RoleMediaPartner],
		filepath.Join(dir, string(api.RoleMediaPartner), "activation.csv"))
	if err != nil {
		return nil, fmt.Errorf("checking the results: %w", err)
	}
	rep.OverlapCorrect = len(rep.Correct.Problems) == 0
	return rep, nil
}

// startRoom registers the two parties in a new data directory, starts
// the clean room on it, and creates and joins a session with the default
// policy, as `blindjoin session create` and `session join` would.
func startRoom(ctx context.Context, dir string, o Options) (*room, error) {
	dataDir := filepath.Join(dir, "server")
	r := &room{}
	var err error
	loc := operator.Location{DataDir: dataDir, Store: o.Store}
	if r.advKey, err = operator.AddPartyIn(ctx, loc, advertiserName, api.RoleAdvertiser); err != nil {
		return nil, err
	}
	if r.partnerKey, err = operator.AddPartyIn(ctx, loc, partnerName, api.RoleMediaPartner); err != nil {
		return nil, err
	}
	args := []string{"--data", dataDir, "--store", o.Store, "--blobs", o.Blobs, "--memory-budget", strconv.FormatInt(o.memoryBudget(), 10)}
	if o.Profile {
		args = append(args, "--cpuprofile", filepath.Join(dir, "server.pprof"))
	}
	if r.srv, err = startServer(ctx, dir, o.Cores, args...); err != nil {
		return nil, err
	}
	r.url = "http://" + r.srv.addr
	if r.adv, err = client.New(client.Config{BaseURL: r.url, APIKey: client.Secret(r.advKey)}); err != nil {
		return r, err
	}
	partner, err := client.New(client.Config{BaseURL: r.url, APIKey: client.Secret(r.partnerKey)})
	if err != nil {
		return r, err
	}
	req := api.CreateSessionRequest{Partner: partnerName, MatchKey: api.MatchKeyEmail, Segments: Segments}
	if len(o.Keys) > 1 {
		p := policy.Default()
		p.MatchKeys = o.Keys
		req.MatchKey, req.Policy = "", p.Canonical()
	}
	r.sess, err = r.adv.CreateSession(ctx, req)
	if err != nil {
		return r, fmt.Errorf("creating the session: %w", err)
	}
	if _, err := partner.Join(ctx, r.sess.ID, r.sess.PolicyHash); err != nil {
		return r, fmt.Errorf("joining the session: %w", err)
	}
	r.pol, err = policy.Parse(r.sess.Policy)
	return r, err
}

// runParties runs both parties' flows as child processes at the same time
// and returns them with their outputs. If one fails, the other is stopped:
// it would wait for its counterpart forever.
func (r *room) runParties(ctx context.Context, dir string, o Options, data *data) (map[api.Role]*child, map[api.Role]partyOutput, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parties := map[api.Role]*child{}
	for _, p := range []struct {
		role    api.Role
		key, in string
		args    []string
	}{
		{api.RoleAdvertiser, r.advKey, data.advFile, append(data.advColumns, "--segments-column", "segments", "--consent-column", "consent")},
		{api.RoleMediaPartner, r.partnerKey, data.partnerFile, append(data.partnerColumns, "--consent-column", "consent")},
	} {
		args := append([]string{childParty,
			"--url", r.url, "--session", r.sess.ID, "--role", string(p.role), "--in", p.in,
			"--out", filepath.Join(dir, string(p.role)), "--keys", filepath.Join(dir, string(p.role)+"-keys"),
		}, p.args...)
		if o.Profile {
			args = append(args, "--cpuprofile", filepath.Join(dir, string(p.role)+".pprof"))
		}
		c, err := startChild(ctx, dir, string(p.role), o.Cores, []string{apiKeyEnv + "=" + p.key}, nil, args...)
		if err != nil {
			return nil, nil, err
		}
		parties[p.role] = c
	}
	type result struct {
		role api.Role
		out  partyOutput
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
				c.usage = withReportedPeak(c.usage, res.out.PeakRSS)
			}
			results <- res
		}()
	}
	outputs := map[api.Role]partyOutput{}
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

// FloorRuns is the number of floor measurements before the session,
// and again after it: the machine's speed drifts when it is shared, and
// the median of several short runs on both sides of the session follows
// it better than one long run.
const FloorRuns = 3

// PortableFloorRuns is the number of measurements of the portable
// backend's floor before the session, and again after it: fewer than
// FloorRuns, since each costs several times as much, and the figure is
// for comparison only.
const PortableFloorRuns = 1

// runFloors measures the floor runs times, each in a child pinned like
// the pipeline with o.FloorElements/(2*FloorRuns) elements, with the
// portable backend if portable is set.
func runFloors(ctx context.Context, dir string, o Options, runs int, portable bool) ([]FloorResult, error) {
	args := []string{"--elements", strconv.Itoa(max(o.FloorElements/(2*FloorRuns), 1))}
	if portable {
		args = append(args, "--portable")
	}
	var out []FloorResult
	for range runs {
		c, err := startChild(ctx, dir, "floor", o.Cores, nil, nil, append([]string{childFloor}, args...)...)
		if err != nil {
			return nil, err
		}
		if err := c.wait(); err != nil {
			return nil, err
		}
		var f FloorResult
		if err := json.Unmarshal(c.stdout.Bytes(), &f); err != nil {
			return nil, fmt.Errorf("floor: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}
