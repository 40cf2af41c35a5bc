package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
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
func (io stdio) getenv(name string) string {
	lookup := io.env
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
func (io stdio) interruptible() (context.Context, context.CancelFunc) {
	parent := io.ctx
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
	summary string
	run     func(args []string, io stdio) int
}

// commands maps "name" or "name sub" to its implementation.
var commands = map[string]command{}

func register(name, summary string, run func([]string, stdio) int) {
	commands[name] = command{summary: summary, run: run}
}

func run(args []string, io stdio) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(io.out)
		return exitOK
	}
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c.run(args[2:], io)
		}
	}
	if c, ok := commands[args[0]]; ok {
		return c.run(args[1:], io)
	}
	fmt.Fprintf(io.err, "blindjoin: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
	usage(io.err)
	return exitUsage
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: blindjoin COMMAND [flags]\n\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-19s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"blindjoin COMMAND -h\" for the flags of one command.")
}

// newFlags returns a FlagSet that reports errors to io.err instead of
// exiting, so every command controls its own exit status.
func newFlags(name string, io stdio) *flag.FlagSet {
	fs := flag.NewFlagSet("blindjoin "+name, flag.ContinueOnError)
	fs.SetOutput(io.err)
	return fs
}

// parseArgs parses flags that may stand before, between or after positional
// arguments ("match ID --in f.csv") and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseOrUsage parses args and turns a flag error into the usage status.
// It returns ok=false when the command must stop with status code.
func parseOrUsage(fs *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	positional, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, exitOK, false
	}
	if err != nil {
		return nil, exitUsage, false
	}
	return positional, exitOK, true
}
