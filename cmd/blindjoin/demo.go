package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/blindjoin/blindjoin/internal/demo"
)

func runDemo(args []string, std stdio) int {
	fs := newFlags("demo", std)
	keep := fs.String("keep", "", "write the files into `DIR` (new or empty) instead of a new temporary directory; either way they are kept")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	pos, code, ok := parseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintln(std.err, "usage: blindjoin demo [--keep DIR] [--json]")
		return exitUsage
	}
	ctx, stop := std.interruptible()
	defer stop()
	rep, err := demo.Run(ctx, demo.Config{Keep: *keep, Log: std.err})
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
