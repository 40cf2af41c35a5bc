package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"strings"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/wording"
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
	role := fs.String("role", string(api.RoleAdvertiser), "your role in the session: "+string(api.RoleAdvertiser)+" or "+string(api.RoleMediaPartner))
	policyFile := fs.String("policy", "", "the session's policy JSON `file` (default: the default policy)")
	segments := fs.String("segments", "", "the session's segment `names`, comma-separated (default: every label found is listed)")
	jsonOut := fs.Bool("json", false, "print one JSON object instead of text")
	pos, code, ok := parseOrUsage(fs, hashedArgs(args))
	if !ok {
		return code
	}
	usage := func(msg string) int {
		fmt.Fprintf(std.err, "blindjoin check: %s\n", msg)
		return exitUsage
	}
	switch {
	case len(pos) > 1 || len(pos) == 1 && *rows.in != "":
		return usage("usage: blindjoin check FILE --id-column COL [flags of match]")
	case len(pos) == 1:
		*rows.in = pos[0]
	}
	var opts flow.Options
	if err := rows.apply(std, &opts); err != nil {
		return usage(err.Error())
	}
	if !explicit(fs, "segments-column") && *segments == "" {
		// Without the session's segments, the default column is read only
		// when named: a file without segments is not an error here.
		opts.Columns.Segments = ""
	}
	plan := flow.Plan{Role: api.Role(*role), MatchKey: *matchKey, Segments: splitList(*segments)}
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
		describeCheck(std.out, *rows.in, sum, plan.Segments == nil)
		printWarnings(std.err, warnings)
	}
	if len(warnings) > 0 {
		return exitFail
	}
	return exitOK
}

// describeCheck writes the would-be summary of a file read by check;
// found says the segments are those found in the file rather than the
// session's.
func describeCheck(w io.Writer, file string, s flow.Summary, found bool) {
	fmt.Fprintf(w, "file        %s (read as the %s would for match key %s; nothing was sent)\n", file, s.Role, s.MatchKey)
	describeRows(w, s)
	var invalid int64
	for reason, n := range s.Rejected {
		if flow.KindOf(reason) == flow.RejectIdentifier {
			invalid += n
		}
	}
	unreadable := s.Rejected["malformed CSV row"]
	fmt.Fprintf(w, "%-11s %s valid, %s invalid\n", s.MatchKey, thousands(s.Rows.Read-unreadable-invalid), thousands(invalid))
	if s.NonASCIIEmails > 0 {
		fmt.Fprintf(w, "non-ASCII   %s e-mail addresses have non-ASCII characters: NFC, then ASCII-only lower-casing (UID2); the other party must write them the same way\n", thousands(s.NonASCIIEmails))
	}
	if len(s.Consent) > 0 {
		fmt.Fprintf(w, "consent     %s\n", countList(s.Consent))
	}
	switch {
	case found && s.SegmentRows == nil:
	case found && len(s.UnknownSegments) == 0:
		fmt.Fprintln(w, "segments    none found")
	case found:
		// Only names: the other labels are values the warnings count
		// without quoting them.
		names := maps.Clone(s.UnknownSegments)
		maps.DeleteFunc(names, func(name string, _ int64) bool { return !policy.ValidSegmentName(name) })
		fmt.Fprintf(w, "segments    found (rows that may count): %s\n", countList(names))
	case s.SegmentRows != nil:
		fmt.Fprintf(w, "segments    %s rows that may count carry a segment of the session\n", thousands(*s.SegmentRows))
	}
}

// countList writes counts by name, largest first: "Oui 4,000, Non 1,000".
func countList(m map[string]int64) string {
	names := wording.ByCount(m)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %s", n, thousands(m[n]))
	}
	return strings.Join(parts, ", ")
}
