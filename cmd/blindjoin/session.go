package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/report"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"golang.org/x/term"
)

// fetchSession fetches session id and its policy, checking the policy's
// hash.
func fetchSession(ctx context.Context, c *client.Client, id string) (api.Session, policy.Policy, error) {
	s, err := c.Session(ctx, id)
	if err != nil {
		return s, policy.Policy{}, err
	}
	p, err := policy.ParseHashed(s.Policy, s.PolicyHash)
	if err != nil {
		return s, p, fmt.Errorf("the session's policy: %w", err)
	}
	return s, p, nil
}

// session fetches the call's session and its checked policy.
func (cl *call) session() (api.Session, policy.Policy, error) {
	return fetchSession(cl.ctx, cl.client, cl.id)
}

func runSessionCreate(args []string, std stdio) int {
	fs, r := remoteFlags("session create", std)
	partner := fs.String("partner", "", "the media partner's registered `name` (required)")
	matchKey := fs.String("match-key", "", "identifier both parties match on: email, phone or maid (or --match-keys)")
	matchKeys := fs.String("match-keys", "", "multi-key session: comma-separated `keys` in priority order, e.g. email,phone,maid (the policy's match_keys)")
	policyFile := fs.String("policy", "", "policy JSON `file`; absent fields take the defaults (default: all defaults)")
	segments := fs.String("segments", "", "comma-separated segment `names` the advertiser's rows may carry")
	segmentsFrom := fs.String("segments-from", "", "advertiser CSV `file` whose segments column defines the segments (instead of --segments); labels shaped like identifiers or digests, or one per row, are refused")
	segmentsColumn := fs.String("segments-column", defaultSegmentsColumn, "with --segments-from: the `column` of ';'-separated labels")
	format := addFormatFlags(fs)
	auditors := fs.String("auditors", "", "comma-separated auditor party `names` who may read the transcript")
	pos, code, ok := cli.ParseOrUsage(fs, args)
	if !ok {
		return code
	}
	switch {
	case len(pos) != 0:
		return r.usage(std, "unexpected arguments")
	case *partner == "" || (*matchKey == "" && *matchKeys == ""):
		return r.usage(std, "--partner and --match-key (or --match-keys) are required")
	case *matchKey != "" && *matchKeys != "":
		return r.usage(std, "give --match-key (one key) or --match-keys (several), not both")
	case *segments != "" && *segmentsFrom != "":
		return r.usage(std, "give --segments or --segments-from, not both")
	}
	req := api.CreateSessionRequest{Partner: *partner, MatchKey: *matchKey, Segments: cli.SplitList(*segments), Auditors: cli.SplitList(*auditors)}
	if *segmentsFrom != "" {
		opts, naming, err := format.format(std)
		if err != nil {
			return r.usage(std, err.Error())
		}
		names, err := flow.SegmentNames(*segmentsFrom, *segmentsColumn, opts, naming)
		if err != nil {
			return r.fail(std, explainInputError(err, std.err), "")
		}
		req.Segments = names
		if !*r.json {
			fmt.Fprintf(std.err, "segments found in %s: %s\n", *segmentsFrom, strings.Join(names, ", "))
		}
	}
	if *policyFile != "" || *matchKeys != "" {
		p := policy.Default()
		if *policyFile != "" {
			data, err := os.ReadFile(*policyFile)
			if err != nil {
				return r.fail(std, err, "")
			}
			if p, err = policy.Parse(data); err != nil {
				return r.fail(std, fmt.Errorf("%s: %w", *policyFile, err), "")
			}
		}
		if keys := cli.SplitList(*matchKeys); len(keys) > 0 {
			if len(p.MatchKeys) > 0 && !slices.Equal(p.MatchKeys, keys) {
				return r.usage(std, "--match-keys differs from the policy file's match_keys")
			}
			p.MatchKeys = keys
			if err := p.Validate(); err != nil {
				return r.usage(std, "--match-keys: "+err.Error())
			}
		}
		req.Policy = p.Canonical()
	}
	c, err := r.client(std)
	if err != nil {
		return r.usage(std, err.Error())
	}
	ctx, stop := std.interruptible()
	defer stop()
	s, err := c.CreateSession(ctx, req)
	if err != nil {
		code := r.fail(std, err, "")
		switch _, refused := errors.AsType[*client.APIError](err); {
		case !refused:
			// The request may have reached the server: creating is not
			// retried blindly (the client's package doc says why).
			fmt.Fprintln(std.err, "The session may have been created: run `blindjoin session list` before trying again.")
		case client.IsCode(err, api.CodePolicyViolation):
			fmt.Fprintln(std.err, "A session may make the clean room's floor policy stricter, never looser (a lower k or min_rows, a weaker purpose rule, a finer rate, more epsilon, longer retention); the operator sets the floor.")
		}
		return code
	}
	if *r.json {
		return printJSON(std, s)
	}
	fmt.Fprintln(std.out, s.ID)
	keys := "match key " + s.MatchKey
	if len(s.MatchKeys) > 1 {
		keys = "match keys " + strings.Join(s.MatchKeys, ", then ")
	}
	fmt.Fprintf(std.err, "created session %s with %s (%s, segments: %s), policy hash %s\n",
		s.ID, s.Partner, keys, report.ListOrNone(s.Segments), s.PolicyHash)
	fmt.Fprintf(std.err, "next: %s reviews and accepts it with `blindjoin session join %s`; both parties then run `blindjoin match %s ...`\n", s.Partner, s.ID, s.ID)
	return exitOK
}

func runSessionJoin(args []string, std stdio) int {
	fs, r := remoteFlags("session join", std)
	accept := addAcceptFlags(fs, "join ")
	yes, hash := accept.yes, accept.hash
	cl, code := r.connectToSession(std, fs, args, "blindjoin session join ID [--yes | --policy-hash HASH]")
	if cl == nil {
		return code
	}
	defer cl.stop()
	s, p, err := cl.session()
	if err != nil {
		return r.fail(std, err, "")
	}
	if *hash != "" && *hash != s.PolicyHash {
		return r.fail(std, fmt.Errorf("the session's policy hash is %s, not the one given: review it again (blindjoin session show %s)", s.PolicyHash, s.ID), "")
	}
	if s.State != api.StateCreated && s.State != api.StateJoined {
		return r.fail(std, fmt.Errorf("session %s is past joining (state %s); its policy hash is %s", s.ID, s.State, s.PolicyHash), "")
	}
	if !*r.json || (!*yes && *hash == "") {
		// Whoever decides sees what is decided, on stderr when stdout is
		// for a script.
		w := std.out
		if *r.json {
			w = std.err
		}
		fmt.Fprintf(w, "session %s: advertiser %s proposes matching on %s, segments: %s\n", s.ID, s.Advertiser, s.MatchKey, report.ListOrNone(s.Segments))
		fmt.Fprintf(w, "policy %s\n", s.PolicyHash)
		report.Policy(w, p, "  ")
	}
	if !*yes && *hash == "" {
		accepted, err := confirm(std, "Accept this policy for your users? [y/N] ")
		if err != nil {
			return r.usage(std, err.Error())
		}
		if !accepted {
			fmt.Fprintln(std.err, "not joined")
			return exitFail
		}
	}
	joined, err := cl.client.Join(cl.ctx, s.ID, s.PolicyHash)
	if err != nil {
		return r.fail(std, err, "")
	}
	if *r.json {
		return printJSON(std, joined)
	}
	fmt.Fprintf(std.out, "joined session %s; accepted policy hash %s\n", joined.ID, joined.PolicyHash)
	fmt.Fprintf(std.err, "next: run your side with `blindjoin match %s --in FILE --id-column COL --out DIR`; %s runs its own\n", joined.ID, joined.Advertiser)
	return exitOK
}

// confirm asks a yes/no question on the terminal. Without a terminal on
// stdin nobody can answer, which is an error rather than a "no": the
// caller must say --yes.
func confirm(std stdio, question string) (bool, error) {
	f, ok := std.in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, errors.New("stdin is not a terminal: review the policy above and pass --yes (or --policy-hash HASH) to accept it")
	}
	fmt.Fprint(std.err, question)
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

func runSessionList(args []string, std stdio) int {
	fs, r := remoteFlags("session list", std)
	pos, code, ok := cli.ParseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return r.usage(std, "unexpected arguments")
	}
	c, err := r.client(std)
	if err != nil {
		return r.usage(std, err.Error())
	}
	ctx, stop := std.interruptible()
	defer stop()
	list, err := c.ListSessions(ctx)
	if err != nil {
		return r.fail(std, err, "")
	}
	if *r.json {
		return printJSON(std, api.SessionList{Sessions: list})
	}
	if len(list) == 0 {
		fmt.Fprintln(std.out, "no sessions")
		return exitOK
	}
	tw := tabwriter.NewWriter(std.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tADVERTISER\tPARTNER\tKEY\tSEGMENTS\tCREATED")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", s.ID, s.State, s.Advertiser, s.Partner, s.MatchKey, len(s.Segments), s.CreatedAt.Local().Format(time.DateTime))
	}
	tw.Flush()
	return exitOK
}

func runSessionShow(args []string, std stdio) int {
	fs, r := remoteFlags("session show", std)
	cl, code := r.connectToSession(std, fs, args, "blindjoin session show ID")
	if cl == nil {
		return code
	}
	defer cl.stop()
	s, p, err := cl.session()
	if err != nil {
		return r.fail(std, err, "")
	}
	if *r.json {
		return printJSON(std, s)
	}
	report.Session(std.out, s)
	fmt.Fprintf(std.out, "policy      %s\n", s.PolicyHash)
	report.Policy(std.out, p, "  ")
	return exitOK
}

func runSessionDelete(args []string, std stdio) int {
	fs, r := remoteFlags("session delete", std)
	cl, code := r.connectToSession(std, fs, args, "blindjoin session delete ID")
	if cl == nil {
		return code
	}
	defer cl.stop()
	c, ctx := cl.client, cl.ctx
	s, err := c.Delete(ctx, cl.id)
	if err != nil {
		return r.fail(std, err, "")
	}
	if *r.json {
		return printJSON(std, s)
	}
	fmt.Fprintf(std.out, "session %s: blinded data deleted (state %s)\n", s.ID, s.State)
	return exitOK
}
