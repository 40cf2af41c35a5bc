package main

import (
	"fmt"

	"github.com/blindjoin/blindjoin/partner/consent"
)

func init() {
	register("consent decode", "decode IAB TCF v2 TC strings (arguments, or one per stdin line) to JSON lines", runConsentDecode)
}

func runConsentDecode(args []string, io stdio) int {
	fs := newFlags("consent decode", io)
	strs, code, ok := parseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(strs) == 0 {
		// A malformed line gets an {"error": ...} object; only I/O fails the command.
		if err := consent.DecodeLines(io.in, io.out); err != nil {
			fmt.Fprintf(io.err, "blindjoin consent decode: %v\n", err)
			return exitFail
		}
		return exitOK
	}
	for _, s := range strs {
		if _, err := fmt.Fprintf(io.out, "%s\n", consent.DecodeToJSON(s)); err != nil {
			fmt.Fprintf(io.err, "blindjoin consent decode: %v\n", err)
			return exitFail
		}
	}
	return exitOK
}
