package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/audit"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

func runAuditVerify(args []string, std stdio) int {
	fs := newFlags("audit verify", std)
	serverKey := fs.String("server-key", "", "the clean room's transcript public key (hex or base64), as blindjoind prints it at start")
	var uploads repeated
	fs.Var(&uploads, "upload", "a part file this party uploaded; its digest must be in the transcript (repeatable)")
	resultsPath := fs.String("results", "", "this party's results (`file` results.json that `blindjoin match` writes); they must open the transcript's commitment")
	pos, code, ok := cli.ParseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || *serverKey == "" {
		fmt.Fprintln(std.err, "usage: blindjoin audit verify FILE --server-key KEY [--upload PART_FILE]... [--results RESULTS_FILE]")
		return exitUsage
	}
	pub, err := transcript.ParsePublicKey(*serverKey)
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin audit verify: --server-key: %v\n", err)
		return exitUsage
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin audit verify: %v\n", err)
		return exitFail
	}
	t, err := audit.Verify(data, pub)
	if err != nil {
		fmt.Fprintf(std.out, "FAILED %s: %v\n", pos[0], err)
		return exitFail
	}
	fmt.Fprintf(std.out, "ok     %s: session %s, %d events, head signed by key %s\n", pos[0], t.SessionID, len(t.Events), t.Head.KeyID)
	writeTimeline(std.out, audit.Timeline(t.Events))

	failed := 0
	report := func(what, msg string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(std.out, "FAILED %s: %v\n", what, err)
			return
		}
		fmt.Fprintf(std.out, "%s\n", msg)
	}
	for _, path := range uploads {
		u, err := audit.Upload(path, t)
		report(path, fmt.Sprintf("ok     %s: %s part %d of %s, %d records, digest recorded", path, u.Kind, u.Part, u.Side, u.Records), err)
	}
	c, err := audit.Commitments(t)
	report("results", commitmentText[c], err)
	if *resultsPath != "" {
		o, err := audit.ResultsFile(*resultsPath, t)
		msg := fmt.Sprintf("ok     %s: %s results are those the computed event commits to", *resultsPath, o.Role)
		if o.Legacy {
			msg = fmt.Sprintf("ok     %s: %s results match the unsalted digest of a transcript from before result commitments", *resultsPath, o.Role)
		}
		report(*resultsPath, msg, err)
	}
	if failed > 0 {
		fmt.Fprintf(std.out, "%d check(s) failed\n", failed)
		return exitFail
	}
	return exitOK
}

var commitmentText = map[audit.Commitment]string{
	audit.Committed:   "ok     results: the computed event commits to both parties' results; only their owner can open each commitment (--results)",
	audit.NotComputed: "--     results: the session has not been computed; no results to check",
	audit.LegacyDigests: "note   results: recorded as unsalted digests by a clean room older than result commitments; " +
		"the media partner can recover the advertiser's segment counts from them",
}

// writeTimeline writes one line per event: time, actor, type, and its
// data as key=value facts.
func writeTimeline(w io.Writer, entries []audit.Entry) {
	fmt.Fprintln(w, "timeline")
	for _, e := range entries {
		fmt.Fprintf(w, "  %3d  %s  %-12s %-20s %s\n", e.Seq, e.Time.UTC().Format("2006-01-02 15:04:05"), e.Actor, e.Type, strings.Join(e.Facts, " "))
	}
}
