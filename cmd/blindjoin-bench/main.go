// Command blindjoin-bench runs a whole session on this machine and reports
// time, CPU, memory and traffic against the floor of the cryptography
// (internal/bench). `blindjoin bench` runs it with the same flags.
//
//	blindjoin-bench [--rows N] [--overlap F] [--cores N] [--floor-elements N]
//	                [--keys email,phone,maid] [--json] [--dir DIR] [--keep] [--cpuprofile]
//	                [--store postgres://...] [--blobs s3://...] [--memory-budget 512MiB]
//
// Exit status: 0 when the session's results are exactly the plaintext
// truth, 1 when they are not or the run failed, 2 on a usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/blindjoin/blindjoin/internal/bench"
	"github.com/blindjoin/blindjoin/internal/cli"
)

func main() {
	if code, ok := bench.ChildMain(os.Args[1:], os.Stdout, os.Stderr); ok {
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("blindjoin bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.Options
	fs.IntVar(&o.Rows, "rows", 100_000, "data rows of each party's file")
	fs.Float64Var(&o.Overlap, "overlap", 0.5, "share of the advertiser's people in the partner's audience (0..1)")
	fs.IntVar(&o.Cores, "cores", 0, "run every process on the first `N` CPUs only (0: all); GOMAXPROCS follows")
	fs.IntVar(&o.FloorElements, "floor-elements", 0, "elements blinded and re-blinded to measure the floor, half before and half after the session (0: a fifth of --rows, 40,000 to 200,000)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.StringVar(&o.Dir, "dir", "", "work `directory`, kept afterwards (default: a new temporary directory, removed unless --keep)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary work directory (inputs, outputs, logs, data)")
	fs.BoolVar(&o.Profile, "cpuprofile", false, "write a CPU profile of each process into the work directory")
	keys := fs.String("keys", "", "a multi-key session on these comma-separated `keys`, in order (e.g. email,phone,maid); default: one key, email")
	fs.StringVar(&o.Store, "store", "", "run the clean room on this PostgreSQL `URL` (an empty schema; as blindjoind serve --store)")
	fs.StringVar(&o.Blobs, "blobs", "", "keep the part files in this S3 `URL` (as blindjoind serve --blobs; credentials from AWS_*)")
	fs.Var((*cli.ByteSize)(&o.MemoryBudget), "memory-budget", "the clean room's --memory-budget (e.g. 512MiB; default: blindjoind's)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	for k := range strings.SplitSeq(*keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			o.Keys = append(o.Keys, k)
		}
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "blindjoin bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := o.Check(); err != nil {
		fmt.Fprintf(stderr, "blindjoin bench: %v\n", err)
		return 2
	}
	rep, err := bench.Run(context.Background(), o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "blindjoin bench: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil || !rep.OverlapCorrect {
		return 1
	}
	return 0
}
