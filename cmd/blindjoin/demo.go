package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/internal/demo"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

func runDemo(args []string, std stdio) int {
	fs := newFlags("demo", std)
	keep := fs.String("keep", "", "write the files into `DIR` (new or empty) instead of a new temporary directory; either way they are kept")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	keys := fs.String("keys", "", "a multi-key session on these comma-separated `keys` in order (e.g. email,phone,maid), over audiences with personas, household phones and duplicated CRM rows")
	pos, code, ok := cli.ParseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintln(std.err, "usage: blindjoin demo [--keep DIR] [--keys email,phone,maid] [--json]")
		return exitUsage
	}
	pol := policy.Default()
	if pol.MatchKeys = cli.SplitList(*keys); len(pol.MatchKeys) == 1 {
		fmt.Fprintln(std.err, "blindjoin demo: --keys names two or three keys (one key is the default demo)")
		return exitUsage
	}
	if err := pol.Validate(); err != nil {
		fmt.Fprintf(std.err, "blindjoin demo: --keys: %v\n", err)
		return exitUsage
	}
	ctx, stop := std.interruptible()
	defer stop()
	rep, err := demo.Run(ctx, demo.Config{Keep: *keep, Policy: pol, Log: std.err})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(std.err, "blindjoin demo: interrupted; the clean room is stopped")
			return exitInterrupted
		}
		fmt.Fprintf(std.err, "blindjoin demo: %v\n", err)
		return exitFail
	}
	if *asJSON {
		if code := printJSON(std, rep); code != exitOK {
			return code
		}
	} else {
		describeDemo(std.out, rep)
	}
	if !rep.Verified {
		return exitFail
	}
	return exitOK
}
