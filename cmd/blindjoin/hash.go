package main

import (
	"fmt"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/hashing"
	"github.com/blindjoin/blindjoin/protocol/identifier"
)

func runHash(args []string, std stdio) int {
	fs := newFlags("hash", std)
	typ := fs.String("type", "", "identifier type: email, phone, maid or sha256 (required)")
	region := fs.String("region", "", "default region (ISO 3166 alpha-2, e.g. FR) for phone numbers not in E.164")
	if _, code, ok := cli.ParseOrUsage(fs, args); !ok {
		return code
	}
	t, err := identifier.ParseType(*typ)
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin hash: --type must be one of %v\n", identifier.Types())
		return exitUsage
	}
	n := identifier.Normalizer{DefaultRegion: *region}
	if err := n.Validate(); err != nil {
		fmt.Fprintf(std.err, "blindjoin hash: %v\n", err)
		return exitUsage
	}
	// Bad lines become {"error": ...} objects; only an unreadable stdin or
	// unwritable stdout fails the command.
	if _, err := hashing.HashLines(std.in, std.out, n, t); err != nil {
		fmt.Fprintf(std.err, "blindjoin hash: %v\n", err)
		return exitFail
	}
	return exitOK
}
