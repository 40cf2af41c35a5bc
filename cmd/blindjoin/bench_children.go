package main

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/protocol/blind"
)

// The bench runs each process of the system as a child re-executing this
// binary with one of these hidden first arguments, so that the kernel
// accounts CPU time and peak memory to each process separately.
const (
	benchChildServer = "internal-server" // blindjoind: operator.Serve
	benchChildParty  = "internal-party"  // one party: flow.Run
	benchChildFloor  = "internal-floor"  // the floor: blind and re-blind batches only
)

// benchKeyEnv passes a party's API key to its child, off the command line.
const benchKeyEnv = "BLINDJOIN_BENCH_API_KEY"

// runBenchChild runs a hidden child command; ok is false if args name none.
func runBenchChild(args []string, io stdio) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case benchChildServer:
		return runBenchServer(args[1:], io), true
	case benchChildParty:
		return runBenchParty(args[1:], io), true
	case benchChildFloor:
		return runBenchFloor(args[1:], io), true
	}
	return 0, false
}

// benchProfile starts a CPU profile into path (if set) and returns its stop.
func benchProfile(path string) (stop func(), err error) {
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

// runBenchServer serves the clean room on a free loopback port, prints the
// address on stdout and stops gracefully on SIGTERM.
func runBenchServer(args []string, io stdio) int {
	fs := newFlags("bench "+benchChildServer, io)
	data := fs.String("data", "", "data directory")
	cpuprofile := fs.String("cpuprofile", "", "CPU profile file")
	if _, code, ok := parseOrUsage(fs, args); !ok {
		return code
	}
	log, err := operator.NewLogger("text", "warn", io.err)
	if err != nil {
		fmt.Fprintln(io.err, err)
		return exitFail
	}
	stop, err := benchProfile(*cpuprofile)
	if err != nil {
		fmt.Fprintln(io.err, err)
		return exitFail
	}
	defer stop()
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer cancel()
	err = operator.Serve(ctx, operator.ServeConfig{
		DataDir: *data,
		Addr:    "127.0.0.1:0",
		Logger:  log,
		Started: func(addr string) { fmt.Fprintln(io.out, addr) },
	})
	if err != nil {
		fmt.Fprintf(io.err, "blindjoin bench: server: %v\n", err)
		return exitFail
	}
	if err := json.NewEncoder(io.out).Encode(benchExitReport{PeakRSS: benchPeakRSS()}); err != nil {
		return exitFail
	}
	return exitOK
}

// benchPartyOutput is what a party child prints on stdout.
type benchPartyOutput struct {
	Summary flow.Summary `json:"summary"`
	Traffic benchTraffic `json:"traffic"`
	PeakRSS int64        `json:"peak_rss"` // bytes, 0 if unknown
}

// runBenchParty runs one party's flow, as `blindjoin match` does, and
// prints its summary and traffic as JSON.
func runBenchParty(args []string, io stdio) int {
	fs := newFlags("bench "+benchChildParty, io)
	url := fs.String("url", "", "clean room URL")
	session := fs.String("session", "", "session id")
	role := fs.String("role", "", "advertiser or media_partner")
	in := fs.String("in", "", "input CSV")
	idCol := fs.String("id-column", "", "identifier column")
	consentCol := fs.String("consent-column", "", "consent column")
	segCol := fs.String("segments-column", "", "segments column")
	out := fs.String("out", "", "output directory")
	keys := fs.String("keys", "", "key directory")
	poll := fs.Duration("poll", 100*time.Millisecond, "first session poll interval")
	maxPoll := fs.Duration("max-poll", time.Second, "longest session poll interval")
	cpuprofile := fs.String("cpuprofile", "", "CPU profile file")
	if _, code, ok := parseOrUsage(fs, args); !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(io.err, "blindjoin bench: %s: %v\n", *role, err)
		return exitFail
	}
	stop, err := benchProfile(*cpuprofile)
	if err != nil {
		return fail(err)
	}
	defer stop()
	m := newBenchMeter()
	cl, err := client.New(client.Config{
		BaseURL:    *url,
		APIKey:     client.Secret(os.Getenv(benchKeyEnv)),
		HTTPClient: m.httpClient(),
	})
	if err != nil {
		return fail(err)
	}
	sum, err := flow.Run(context.Background(), flow.Options{
		Client:          cl,
		SessionID:       *session,
		Role:            *role,
		Input:           *in,
		Columns:         csvin.Columns{ID: *idCol, Consent: *consentCol, Segments: *segCol},
		OutDir:          *out,
		KeyDir:          *keys,
		PollInterval:    *poll,
		MaxPollInterval: *maxPoll,
	})
	if err != nil {
		return fail(err)
	}
	if err := json.NewEncoder(io.out).Encode(benchPartyOutput{Summary: sum, Traffic: m.report(), PeakRSS: benchPeakRSS()}); err != nil {
		return fail(err)
	}
	return exitOK
}

// benchFloorResult is what the floor child prints on stdout.
type benchFloorResult struct {
	Elements   int     `json:"elements"`
	GoMaxProcs int     `json:"gomaxprocs"`
	CPUSeconds float64 `json:"cpu_s"`
	// BlindCPUSeconds is the part spent in BlindBatch (hash to element,
	// scalar multiplication, encoding), the rest in ReblindBatch
	// (decoding, scalar multiplication, encoding).
	BlindCPUSeconds float64 `json:"blind_cpu_s"`
	WallSeconds     float64 `json:"wall_s"`
}

// runBenchFloor measures the work no implementation of the protocol can
// skip, per element: what its owner does (hash to element, multiply,
// encode) and what the other party does (decode, multiply, encode), with
// the production backend's batches on every core this process may use,
// as the flows run them.
func runBenchFloor(args []string, io stdio) int {
	fs := newFlags("bench "+benchChildFloor, io)
	n := fs.Int("elements", 20000, "elements to blind and re-blind")
	if _, code, ok := parseOrUsage(fs, args); !ok {
		return code
	}
	res, err := benchMeasureFloor(*n, 4096)
	if err != nil {
		fmt.Fprintf(io.err, "blindjoin bench: floor: %v\n", err)
		return exitFail
	}
	if err := json.NewEncoder(io.out).Encode(res); err != nil {
		return exitFail
	}
	return exitOK
}

func benchMeasureFloor(n, batch int) (benchFloorResult, error) {
	a, err := blind.GenerateKey(crand.Reader)
	if err != nil {
		return benchFloorResult{}, err
	}
	b, err := blind.GenerateKey(crand.Reader)
	if err != nil {
		return benchFloorResult{}, err
	}
	digests := make([][32]byte, n)
	rng := rand.NewChaCha8([32]byte{'f', 'l', 'o', 'o', 'r'})
	for i := range digests {
		rng.Read(digests[i][:])
	}
	elems := make([]blind.Element, batch)
	var blindCPU time.Duration
	start, cpu0 := time.Now(), processCPU()
	for done := 0; done < n; done += batch {
		k := min(batch, n-done)
		c := processCPU()
		if err := a.BlindBatch(elems[:k], digests[done:done+k]); err != nil {
			return benchFloorResult{}, err
		}
		blindCPU += processCPU() - c
		if err := b.ReblindBatch(elems[:k], elems[:k]); err != nil {
			return benchFloorResult{}, err
		}
	}
	return benchFloorResult{
		Elements:        n,
		GoMaxProcs:      runtime.GOMAXPROCS(0),
		CPUSeconds:      (processCPU() - cpu0).Seconds(),
		BlindCPUSeconds: blindCPU.Seconds(),
		WallSeconds:     time.Since(start).Seconds(),
	}, nil
}
