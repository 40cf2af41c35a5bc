package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/partner/report"
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
	parallel := fs.Int("parallel", runtime.NumCPU(), "`parts` in flight at once, uploading and re-blinding (by default one per core); a resumed run may change it")
	plan, finish := fs.Bool("plan", false, "split the match among --workers machines: read the input, write their shares into --out"), fs.Bool("finish", false, "end a split match: write the outputs once every worker is done")
	workers, worker := fs.Int("workers", 0, "with --plan: the `number` of workers"), fs.String("worker", "", "run share `i/W` of a split match (from --out's plan)")
	pos, code, ok := cli.ParseOrUsage(fs, cli.HashedArgs(args))
	if !ok {
		return code
	}
	opts := flow.Options{}
	split, err := flow.ParseSplit(*plan, *workers, *worker, *finish, cli.Explicit(fs, "in"))
	if err == nil && split.ReadsInput() {
		err = rows.apply(std, &opts)
	}
	switch {
	case len(pos) != 1:
		return r.usage(std, "usage: blindjoin match ID --in FILE (--id-column COL | --key TYPE=COLUMN ...) --out DIR [flags]")
	case err != nil:
		return r.usage(std, err.Error())
	case *out == "":
		return r.usage(std, "--out is required")
	case *poll <= 0:
		return r.usage(std, "--poll must be positive")
	case *parallel < 1:
		return r.usage(std, "--parallel must be at least 1")
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
	if !cli.Explicit(fs, "segments-column") {
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
	opts.ActivationColumns = cli.SplitList(*activation)
	opts.Progress = progressFor(std.err)
	opts.Logger = slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts.PollInterval, opts.Parallel = *poll, *parallel
	opts.Warnings = func(ws []flow.Warning) { report.Warnings(std.err, ws) }
	start := time.Now()
	sum, err := split.Run(ctx, opts)
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
	if done := split.Done(sum, *out); done != "" {
		fmt.Fprintln(std.out, done)
		return exitOK
	}
	took := time.Since(start)
	// The threshold is the policy's: read back for the text only.
	var k int64
	if _, p, err := fetchSession(ctx, c, sum.SessionID); err == nil {
		k = p.K
	}
	report.Match(std.out, sum, k, *out, took)
	report.UnknownSegments(std.err, sum)
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
