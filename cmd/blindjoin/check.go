package main

import (
	"fmt"
	"os"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/report"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// checkReport is check's JSON output.
type checkReport struct {
	Summary  flow.Summary   `json:"summary"`
	Warnings []flow.Warning `json:"warnings"`
}

func runCheck(args []string, std stdio) int {
	fs := newFlags("check", std)
	rows := addRowFlags(fs)
	matchKey := fs.String("match-key", api.MatchKeyEmail, "the session's match key: email, phone or maid")
	matchKeys := fs.String("match-keys", "", "a multi-key session's comma-separated `keys` in priority order, as on session create (then give --key TYPE=COLUMN per key)")
	role := fs.String("role", string(api.RoleAdvertiser), "your role in the session: "+string(api.RoleAdvertiser)+" or "+string(api.RoleMediaPartner))
	policyFile := fs.String("policy", "", "the session's policy JSON `file` (default: the default policy)")
	segments := fs.String("segments", "", "the session's segment `names`, comma-separated (default: every label found is listed)")
	jsonOut := fs.Bool("json", false, "print one JSON object instead of text")
	pos, code, ok := cli.ParseOrUsage(fs, cli.HashedArgs(args))
	if !ok {
		return code
	}
	usage := func(msg string) int {
		fmt.Fprintf(std.err, "blindjoin check: %s\n", msg)
		return exitUsage
	}
	switch {
	case len(pos) > 1 || len(pos) == 1 && *rows.in != "":
		return usage("usage: blindjoin check FILE (--id-column COL | --match-keys K,K --key TYPE=COLUMN ...) [flags of match]")
	case len(pos) == 1:
		*rows.in = pos[0]
	}
	var opts flow.Options
	if err := rows.apply(std, &opts); err != nil {
		return usage(err.Error())
	}
	if !cli.Explicit(fs, "segments-column") && *segments == "" {
		// Without the session's segments, the default column is read only
		// when named: a file without segments is not an error here.
		opts.Columns.Segments = ""
	}
	plan := flow.Plan{Role: api.Role(*role), MatchKey: *matchKey, Segments: cli.SplitList(*segments)}
	if *policyFile != "" {
		data, err := os.ReadFile(*policyFile)
		if err != nil {
			return usage(err.Error())
		}
		p, err := policy.Parse(data)
		if err != nil {
			return usage(fmt.Sprintf("%s: %v", *policyFile, err))
		}
		plan.Policy = &p
	}
	if keys := cli.SplitList(*matchKeys); len(keys) > 0 {
		p := policy.Default()
		if plan.Policy != nil {
			p = *plan.Policy
		}
		p.MatchKeys = keys
		if err := p.Validate(); err != nil {
			return usage("--match-keys: " + err.Error())
		}
		plan.Policy, plan.MatchKey = &p, keys[0]
	}
	ctx, stop := std.interruptible()
	defer stop()
	sum, warnings, err := flow.Preflight(ctx, opts, plan)
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin check: %v\n", explainInputError(err, std.err))
		return exitFail
	}
	if *jsonOut {
		if code := printJSON(std, checkReport{Summary: sum, Warnings: warnings}); code != exitOK {
			return code
		}
	} else {
		report.Check(std.out, *rows.in, sum, plan.Segments == nil)
		report.Warnings(std.err, warnings)
	}
	if len(warnings) > 0 {
		return exitFail
	}
	return exitOK
}
