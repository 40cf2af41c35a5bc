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
	in := fs.String("in", "", "input CSV `file` with a header row (required)")
	idColumn := fs.String("id-column", "", "`column` of the identifiers (one-key sessions; or use --key)")
	keys := keyColumnsFlag{}
	fs.Var(keys, "key", "`TYPE=COLUMN`: the column holding match key TYPE (email, phone, maid); repeat for each key of a multi-key session the input has")
	segmentsColumn := fs.String("segments-column", "", "advertiser: `column` of ';'-separated segment labels")
	consentColumn := fs.String("consent-column", "consent", "`column` of TC strings or purpose lists (\"1;3;4;7\", \"li:9\")")
	out := fs.String("out", "", "output `directory`: summary.json, rejects.csv, results.json, activation.csv (required)")
	region := fs.String("region", "", "default `region` (e.g. FR) for phone numbers not in E.164")
	hashed := fs.String("hashed", "", "`keys` (e.g. email,phone) whose column holds SHA-256 digests of normalized identifiers (hex or base64); alone: the identifier column")
	accept := fs.String("accept-policy", "", "media partner: join the session first if its policy has this `hash`")
	keyDir := fs.String("key-dir", "", "`directory` of this party's session keys (default: the user config directory)")
	poll := fs.Duration("poll", 2*time.Second, "first wait between two looks at the session's state (grows to 5s)")
	pos, code, ok := parseOrUsage(fs, hashedArgs(args))
	if !ok {
		return code
	}
	switch {
	case len(pos) != 1:
		return r.usage(std, "usage: blindjoin match ID --in FILE.csv (--id-column COL | --key TYPE=COLUMN ...) --out DIR [flags]")
	case *in == "" || *out == "" || (*idColumn == "" && len(keys) == 0):
		return r.usage(std, "--in, --out and the identifier column (--id-column, or --key TYPE=COLUMN per key) are required")
	case *idColumn != "" && len(keys) > 0:
		return r.usage(std, "give --id-column (one-key sessions) or --key TYPE=COLUMN, not both")
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
	opts := flow.Options{
		Client:           c,
		SessionID:        pos[0],
		Input:            *in,
		Columns:          csvin.Columns{ID: *idColumn, Segments: *segmentsColumn, Consent: *consentColumn},
		DefaultRegion:    *region,
		Hashed:           *hashed == hashedIDColumn,
		KeyColumns:       keys,
		HashedKeys:       hashedKeys(*hashed),
		OutDir:           *out,
		KeyDir:           *keyDir,
		AcceptPolicyHash: *accept,
		Progress:         progressFor(std.err),
		Logger:           slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn})),
		PollInterval:     *poll,
	}
	start := time.Now()
	sum, err := flow.Run(ctx, opts)
	if err != nil {
		if ce, ok := errors.AsType[*csvin.ColumnError](err); ok && isTerminal(std.err) {
			// The header row may be a data row of a file without one:
			// shown on a terminal, never written to a log.
			err = fmt.Errorf("%w; the header has: %s", err, strings.Join(ce.Header, ", "))
		}
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

// keyColumnsFlag collects repeated --key TYPE=COLUMN flags.
type keyColumnsFlag map[string]string

func (k keyColumnsFlag) String() string { return "" }

func (k keyColumnsFlag) Set(v string) error {
	typ, col, ok := strings.Cut(v, "=")
	typ, col = strings.TrimSpace(typ), strings.TrimSpace(col)
	switch {
	case !ok || col == "":
		return errors.New("want TYPE=COLUMN, e.g. email=Email")
	case typ != api.MatchKeyEmail && typ != api.MatchKeyPhone && typ != api.MatchKeyMAID:
		return fmt.Errorf("key type %q: want email, phone or maid", typ)
	case k[typ] != "":
		return fmt.Errorf("key %s given twice", typ)
	}
	k[typ] = col
	return nil
}

// hashedIDColumn is the value of a bare --hashed: the one identifier
// column of a one-key session is pre-hashed.
const hashedIDColumn = "*"

// hashedArgs lets --hashed be given alone, as before multi-key sessions,
// or followed by a list of keys ("--hashed email,phone"), which the flag
// package cannot tell apart: a bare --hashed becomes --hashed=*, and a
// --hashed followed by a list of key names takes it as its value.
func hashedArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a != "--hashed" && a != "-hashed" {
			out = append(out, a)
			continue
		}
		if i+1 < len(args) && isKeyList(args[i+1]) {
			out = append(out, "--hashed="+args[i+1])
			i++
			continue
		}
		out = append(out, "--hashed="+hashedIDColumn)
	}
	return out
}

func isKeyList(s string) bool {
	for k := range strings.SplitSeq(s, ",") {
		if k = strings.TrimSpace(k); k != api.MatchKeyEmail && k != api.MatchKeyPhone && k != api.MatchKeyMAID {
			return false
		}
	}
	return true
}

// hashedKeys is the keys of a --hashed list (none for a bare --hashed).
func hashedKeys(v string) []string {
	if v == hashedIDColumn {
		return nil
	}
	return splitList(v)
}
