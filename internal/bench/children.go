package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/internal/proc"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
)

// The bench runs each process of the system as a child re-executing its
// own binary with one of these hidden first arguments, so that the kernel
// accounts CPU time and peak memory to each process separately.
const (
	childServer = "internal-server" // blindjoind: operator.Start
	childParty  = "internal-party"  // one party: flow.Run
	childFloor  = "internal-floor"  // the floor: blind and re-blind batches only
)

// apiKeyEnv passes a party's API key to its child, off the command line.
const apiKeyEnv = "BLINDJOIN_BENCH_API_KEY"

// Exit statuses of a child.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// ChildMain runs the child process that args name, if they name one, and
// returns its exit status; ok is false if args are not a child's. The
// binary that calls Run must call ChildMain first in its main.
func ChildMain(args []string, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case childServer:
		return runServer(args[1:], stdout, stderr), true
	case childParty:
		return runParty(args[1:], stdout, stderr), true
	case childFloor:
		return runFloor(args[1:], stdout, stderr), true
	}
	return 0, false
}

// childFlags is the flag set of a child; its arguments come from Run, so
// a parse error is a bug reported on stderr.
func childFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("blindjoin-bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// startProfile starts a CPU profile into path (if set) and returns its stop.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// runServer serves the clean room on a free loopback port, prints the
// address on stdout and stops gracefully on SIGTERM.
func runServer(args []string, stdout, stderr io.Writer) int {
	fs := childFlags(childServer, stderr)
	data := fs.String("data", "", "data directory")
	store := fs.String("store", "", "PostgreSQL URL (empty: SQLite in the data directory)")
	blobs := fs.String("blobs", "", "S3 URL (empty: files in the data directory)")
	cpuprofile := fs.String("cpuprofile", "", "CPU profile file")
	budget := fs.Int64("memory-budget", 0, "the session service's memory budget in bytes")
	if fs.Parse(args) != nil {
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "blindjoin bench: server: %v\n", err)
		return exitFail
	}
	log, err := operator.NewLogger("text", "warn", stderr)
	if err != nil {
		return fail(err)
	}
	stop, err := startProfile(*cpuprofile)
	if err != nil {
		return fail(err)
	}
	defer stop()
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	operator.LimitMemory(*budget) // as blindjoind does
	room, err := operator.Start(ctx, operator.Config{DataDir: *data, Store: *store, Blobs: *blobs, Addr: "127.0.0.1:0", Logger: log, MemoryBudget: *budget})
	if err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, room.Addr)
	if err := room.Wait(); err != nil {
		return fail(err)
	}
	if err := json.NewEncoder(stdout).Encode(exitReport{PeakRSS: proc.PeakRSS()}); err != nil {
		return exitFail
	}
	return exitOK
}

// partyOutput is what a party child prints on stdout.
type partyOutput struct {
	Summary flow.Summary `json:"summary"`
	Traffic Traffic      `json:"traffic"`
	PeakRSS int64        `json:"peak_rss"` // bytes, 0 if unknown
}

// runParty runs one party's flow, as `blindjoin match` does, and
// prints its summary and traffic as JSON.
func runParty(args []string, stdout, stderr io.Writer) int {
	fs := childFlags(childParty, stderr)
	url := fs.String("url", "", "clean room URL")
	session := fs.String("session", "", "session id")
	role := fs.String("role", "", "advertiser or media_partner")
	in := fs.String("in", "", "input CSV")
	idCol := fs.String("id-column", "", "identifier column")
	keyCols := cli.KeyColumns{}
	fs.Var(keyCols, "key", "TYPE=COLUMN of a multi-key session (repeated)")
	consentCol := fs.String("consent-column", "", "consent column")
	segCol := fs.String("segments-column", "", "segments column")
	out := fs.String("out", "", "output directory")
	keys := fs.String("keys", "", "key directory")
	poll := fs.Duration("poll", 100*time.Millisecond, "first session poll interval")
	maxPoll := fs.Duration("max-poll", time.Second, "longest session poll interval")
	cpuprofile := fs.String("cpuprofile", "", "CPU profile file")
	if fs.Parse(args) != nil {
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "blindjoin bench: %s: %v\n", *role, err)
		return exitFail
	}
	stop, err := startProfile(*cpuprofile)
	if err != nil {
		return fail(err)
	}
	defer stop()
	m := newMeter()
	cl, err := client.New(client.Config{
		BaseURL:    *url,
		APIKey:     client.Secret(os.Getenv(apiKeyEnv)),
		HTTPClient: m.httpClient(),
	})
	if err != nil {
		return fail(err)
	}
	sum, err := flow.Run(context.Background(), flow.Options{
		Client:          cl,
		SessionID:       *session,
		Role:            api.Role(*role),
		Input:           *in,
		Columns:         csvin.Columns{ID: *idCol, Consent: *consentCol, Segments: *segCol},
		KeyColumns:      keyCols,
		OutDir:          *out,
		KeyDir:          *keys,
		PollInterval:    *poll,
		MaxPollInterval: *maxPoll,
	})
	if err != nil {
		return fail(err)
	}
	if err := json.NewEncoder(stdout).Encode(partyOutput{Summary: sum, Traffic: m.report(), PeakRSS: proc.PeakRSS()}); err != nil {
		return fail(err)
	}
	return exitOK
}

// FloorResult is what the floor child prints on stdout.
type FloorResult struct {
	Elements   int     `json:"elements"`
	GoMaxProcs int     `json:"gomaxprocs"`
	CPUSeconds float64 `json:"cpu_s"`
	// BlindCPUSeconds is the part spent in BlindBatch (hash to element,
	// scalar multiplication, encoding), the rest in ReblindBatch
	// (decoding, scalar multiplication, encoding).
	BlindCPUSeconds float64 `json:"blind_cpu_s"`
	WallSeconds     float64 `json:"wall_s"`
	// Backend is the group arithmetic the batches ran on
	// (blind.Key.BatchBackend).
	Backend string `json:"backend"`
}

// runFloor measures the work no implementation of the protocol can
// skip, per element: what its owner does (hash to element, multiply,
// encode) and what the other party does (decode, multiply, encode), with
// the production backend's batches on every core this process may use,
// as the flows run them; or, with --portable, with the portable backend
// whatever the CPU.
func runFloor(args []string, stdout, stderr io.Writer) int {
	fs := childFlags(childFloor, stderr)
	n := fs.Int("elements", 20000, "elements to blind and re-blind")
	portable := fs.Bool("portable", false, "use the portable backend (blind.Key.Portable)")
	if fs.Parse(args) != nil {
		return exitUsage
	}
	res, err := measureFloor(*n, 4096, *portable)
	if err != nil {
		fmt.Fprintf(stderr, "blindjoin bench: floor: %v\n", err)
		return exitFail
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		return exitFail
	}
	return exitOK
}

func measureFloor(n, batch int, portable bool) (FloorResult, error) {
	a, err := blind.GenerateKey(crand.Reader)
	if err != nil {
		return FloorResult{}, err
	}
	b, err := blind.GenerateKey(crand.Reader)
	if err != nil {
		return FloorResult{}, err
	}
	if portable {
		a, b = a.Portable(), b.Portable()
	}
	digests := make([][32]byte, n)
	rng := rand.NewChaCha8([32]byte{'f', 'l', 'o', 'o', 'r'})
	for i := range digests {
		rng.Read(digests[i][:])
	}
	elems := make([]blind.Element, batch)
	var blindCPU time.Duration
	start, cpu0 := time.Now(), proc.CPU()
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		c := proc.CPU()
		if err := a.BlindBatch(elems[:k], digests[done:done+k]); err != nil {
			return FloorResult{}, err
		}
		blindCPU += proc.CPU() - c
		if err := b.ReblindBatch(elems[:k], elems[:k]); err != nil {
			return FloorResult{}, err
		}
	}
	return FloorResult{
		Elements:        n,
		GoMaxProcs:      runtime.GOMAXPROCS(0),
		CPUSeconds:      (proc.CPU() - cpu0).Seconds(),
		BlindCPUSeconds: blindCPU.Seconds(),
		WallSeconds:     time.Since(start).Seconds(),
		Backend:         a.BatchBackend(),
	}, nil
}
