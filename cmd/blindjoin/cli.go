package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFail        = 1   // the command ran and reports failure (mismatch, refusal)
	exitUsage       = 2   // bad flags or arguments
	exitInterrupted = 130 // stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it)
)

// stdio is one invocation's surroundings. ctx and env are nil outside
// tests: the process's signals and environment are used then.
type stdio struct {
	in       io.Reader
	out, err io.Writer
	ctx      context.Context
	env      func(string) (string, bool)
}

// getenv looks a variable up in the invocation's environment.
func (std stdio) getenv(name string) string {
	lookup := std.env
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, _ := lookup(name)
	return v
}

// interruptible returns a context that ends on SIGINT or SIGTERM, for
// commands that talk to a clean room and can stop cleanly. Only those
// commands catch the signals: the others keep the default of dying at
// once. A second signal, once the first has cancelled the context, is
// left to its default too, so a stuck command can still be killed.
func (std stdio) interruptible() (context.Context, context.CancelFunc) {
	parent := std.ctx
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

type command struct {
	name    string // "name" or "name sub"
	summary string
	run     func(args []string, std stdio) int
}

// commands in the order usage lists them.
var commands = []command{
	{"audit verify", "verify a session transcript's hash chain, signature, your uploads' digests and your results", runAuditVerify},
	{"bench", "run a whole session on this machine and report time, CPU, memory and traffic", runBench},
	{"check", "read a file as match would, without contacting the clean room: would-be summary and warnings", runCheck},
	{"console", "serve the local web console: sessions, proposals, runs and results in a browser, on this machine", runConsole},
	{"consent decode", "decode IAB TCF v2 TC strings (arguments, or one per stdin line) to JSON lines", runConsentDecode},
	{"demo", "run a whole session on synthetic data against a local clean room and check it against the truth", runDemo},
	{"hash", "normalize and SHA-256 identifiers, one per stdin line, as JSON lines", runHash},
	{"login", "save a clean room's address and this party's API key (stdin or $BLINDJOIN_API_KEY) as a profile", runLogin},
	{"match", "run this party's side of a session: read, blind, upload, re-blind, wait for the results", runMatch},
	{"results", "show what the clean room released to this party for a session", runResults},
	{"session create", "propose a session to a media partner (advertiser); prints its id", runSessionCreate},
	{"session delete", "purge a session's blinded data at the clean room", runSessionDelete},
	{"session join", "show a session's policy and accept it (media partner); prints the policy hash", runSessionJoin},
	{"session list", "list the sessions this party is a member of", runSessionList},
	{"session show", "show a session: parties, state, segments, policy, uploads", runSessionShow},
	{"session transcript", "fetch a session's signed audit transcript (then `blindjoin audit verify`)", runSessionTranscript},
	{"vectors verify", "replay the protocol test vectors (built in, or the *.json files of DIR)", runVectorsVerify},
}

func lookupCommand(name string) (command, bool) {
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return commands[i], true
}

func run(args []string, std stdio) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(std.out)
		return exitOK
	}
	if len(args) >= 2 {
		if c, ok := lookupCommand(args[0] + " " + args[1]); ok {
			return c.run(args[2:], std)
		}
	}
	if c, ok := lookupCommand(args[0]); ok {
		return c.run(args[1:], std)
	}
	fmt.Fprintf(std.err, "blindjoin: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
	usage(std.err)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: blindjoin COMMAND [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-19s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun \"blindjoin COMMAND -h\" for the flags of one command.")
}

// newFlags returns a FlagSet that reports errors to io.err instead of
// exiting, so every command controls its own exit status.
func newFlags(name string, std stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("blindjoin "+name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	return fs
}
