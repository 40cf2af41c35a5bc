package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/api"
	"golang.org/x/term"
)

func runMatch(args []string, std stdio) int {
	fs, r := remoteFlags("match", std)
	rows := addRowFlags(fs)
	out := fs.String("out", "", "output `directory`: summary.json, rejects.csv, results.json, activation.csv (required)")
	accept := addAcceptFlags(fs, "media partner: join the session first, ")
	fs.StringVar(accept.hash, "accept-policy", "", "alias of --policy-hash")
	activation := fs.String("activation-columns", "", "media partner: comma-separated `columns` of the input copied into activation.csv next to each row (e.g. user_id,maid)")
	keyDir := fs.String("key-dir", "", "`directory` of this party's session keys (default: the user config directory)")
	poll := fs.Duration("poll", 2*time.Second, "first wait between two looks at the session's state (grows to 5s; 1s at most while waiting for the results)")
	pos, code, ok := parseOrUsage(fs, hashedArgs(args))
	if !ok {
		return code
	}
	opts := flow.Options{}
	switch err := rows.apply(std, &opts); {
	case len(pos) != 1:
		return r.usage(std, "usage: blindjoin match ID --in FILE (--id-column COL | --key TYPE=COLUMN ...) --out DIR [flags]")
	case err != nil:
		return r.usage(std, err.Error())
	case *out == "":
		return r.usage(std, "--out is required")
	case *poll <= 0:
		return r.usage(std, "--poll must be positive")
	}
	c, err := r.client(std)
	if err != nil {
		return r.usage(std, err.Error())
	}
	if *keyDir == "" {
		if *keyDir, err = keystore.Dir(c.Host()); err != nil {
			return r.fail(std, err, "")
		}
	}
	ctx, stop := std.interruptible()
	defer stop()
	if !explicit(fs, "segments-column") {
		// The default column is the advertiser's: a media partner's rows
		// carry no segments, and flow refuses a segments column for them.
		if id, err := c.Identity(ctx); err == nil && id.Role == api.RoleMediaPartner {
			opts.Columns.Segments = ""
		}
	}
	if opts.AcceptPolicyHash, err = accept.policyHash(ctx, c, pos[0], std); err != nil {
		return r.fail(std, err, "")
	}
	opts.Client, opts.SessionID, opts.OutDir, opts.KeyDir = c, pos[0], *out, *keyDir
	opts.ActivationColumns = splitList(*activation)
	opts.Progress = progressFor(std.err)
	opts.Logger = slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.PollInterval = *poll
	opts.Warnings = func(ws []flow.Warning) { printWarnings(std.err, ws) }
	start := time.Now()
	sum, err := flow.Run(ctx, opts)
	if err != nil {
		err = explainInputError(err, std.err)
		if errors.Is(err, flow.ErrTooFewRows) {
			err = fmt.Errorf("%w (%s says why each row was left out)", err, filepath.Join(*out, "rejects.csv"))
		}
		return r.fail(std, err, fmt.Sprintf("Run the same command again to resume: the session key stays in %s until the results are written.", *keyDir))
	}
	if *r.json {
		return printJSON(std, sum)
	}
	took := time.Since(start)
	// The threshold is the policy's: read back for the text only.
	var k int64
	if _, p, err := fetchSession(ctx, c, sum.SessionID); err == nil {
		k = p.K
	}
	describeMatch(std.out, sum, k, *out, took)
	warnUnknownSegments(std.err, sum)
	return exitOK
}

// explainInputError adds to an input error what only a terminal may see:
// the header row of a file whose column is missing may be a data row of a
// file without one, so it is shown on a terminal and never written to a
// log.
func explainInputError(err error, w io.Writer) error {
	if ce, ok := errors.AsType[*csvin.ColumnError](err); ok && isTerminal(w) {
		return fmt.Errorf("%w; the header has: %s", err, strings.Join(ce.Header, ", "))
	}
	return err
}

// printWarnings writes warnings, one "warning:" line each.
func printWarnings(w io.Writer, ws []flow.Warning) {
	for _, warn := range ws {
		fmt.Fprintf(w, "warning: %s\n", warn.Message)
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressFor returns the flow's progress reporter for w: a bar on a
// terminal, lines otherwise (flow.NewProgress decides for a file).
func progressFor(w io.Writer) flow.Progress {
	if f, ok := w.(*os.File); ok {
		return flow.NewProgress(f)
	}
	return flow.NewLines(w, 5*time.Second, time.Now)
}

// describeMatch writes what a run did and what the clean room released;
// k is the policy's threshold (0 if unknown).
func describeMatch(w io.Writer, s flow.Summary, k int64, out string, took time.Duration) {
	fmt.Fprintf(w, "session     %s (%s, match key %s)\n", s.SessionID, s.Role, s.MatchKey)
	describeRows(w, s)
	describeResults(w, api.Results{Role: s.Role, Overlap: s.Overlap, OverlapByKey: api.Rounds(s.OverlapByKey), MatchRate: s.MatchRate, Segments: s.Segments, DPEpsilon: s.DPEpsilon}, k)
	if s.ActivationRows != nil {
		fmt.Fprintf(w, "activation  %s rows in %s\n", thousands(*s.ActivationRows), filepath.Join(out, "activation.csv"))
	}
	fmt.Fprintf(w, "outputs     %s, %s, %s\n", filepath.Join(out, "summary.json"), filepath.Join(out, "rejects.csv"), filepath.Join(out, "results.json"))
	fmt.Fprintf(w, "took        %s\n", took.Round(100*time.Millisecond))
}

// warnUnknownSegments tells the advertiser that labels of its file were
// not sent because the session does not define them.
func warnUnknownSegments(w io.Writer, s flow.Summary) {
	if len(s.UnknownSegments) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(s.UnknownSegments))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s (%s rows)", n, thousands(s.UnknownSegments[n]))
	}
	fmt.Fprintf(w, "warning: labels the session does not define were not sent: %s.\n"+
		"A session's segments are fixed when it is created: declare them with `session create --segments` or `--segments-from FILE`.\n",
		strings.Join(parts, ", "))
}
