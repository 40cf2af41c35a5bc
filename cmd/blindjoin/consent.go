package main

import (
	"fmt"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/consent"
)

func runConsentDecode(args []string, std stdio) int {
	fs := newFlags("consent decode", std)
	strs, code, ok := cli.ParseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(strs) == 0 {
		// A malformed line gets an {"error": ...} object; only I/O fails the command.
		if err := consent.DecodeLines(std.in, std.out); err != nil {
			fmt.Fprintf(std.err, "blindjoin consent decode: %v\n", err)
			return exitFail
		}
		return exitOK
	}
	for _, s := range strs {
		if _, err := fmt.Fprintf(std.out, "%s\n", consent.DecodeToJSON(s)); err != nil {
			fmt.Fprintf(std.err, "blindjoin consent decode: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}
