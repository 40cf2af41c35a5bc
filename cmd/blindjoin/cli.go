package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and reports failure (mismatch, refusal)
	exitUsage = 2 // bad flags or arguments
)

type stdio struct {
	in       io.Reader
	out, err io.Writer
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
		fmt.Fprintf(w, "  %-18s %s\n", n, commands[n].summary)
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
