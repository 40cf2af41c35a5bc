package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/blindjoin/blindjoin/partner/client"
)

// Environment variables read when the matching flag is absent.
const (
	envServer = "BLINDJOIN_SERVER"
	envAPIKey = "BLINDJOIN_API_KEY"
)

// remote holds the flags of every command that talks to a clean room.
type remote struct {
	name   string // "session create", for messages
	server *string
	apiKey *string
	json   *bool
}

// remoteFlags returns a FlagSet with --server, --api-key and --json.
func remoteFlags(name string, std stdio) (*flag.FlagSet, *remote) {
	fs := newFlags(name, std)
	return fs, &remote{
		name:   name,
		server: fs.String("server", "", "clean room `URL` (default $"+envServer+")"),
		apiKey: fs.String("api-key", "", "this party's API `key` (default $"+envAPIKey+"; prefer the variable: arguments show in ps)"),
		json:   fs.Bool("json", false, "print one JSON object instead of text"),
	}
}

// client builds the API client from the flags or the environment.
func (r *remote) client(std stdio) (*client.Client, error) {
	server, key := *r.server, *r.apiKey
	if server == "" {
		server = std.getenv(envServer)
	}
	if key == "" {
		key = std.getenv(envAPIKey)
	}
	if server == "" || key == "" {
		return nil, fmt.Errorf("the clean room's address and this party's API key are needed: --server and --api-key, or %s and %s", envServer, envAPIKey)
	}
	return client.New(client.Config{
		BaseURL:   server,
		APIKey:    client.Secret(key),
		UserAgent: "blindjoin-cli",
		// Warnings say why a call is being retried, so a wait is explained.
		Logger: slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
}

// usage reports a usage error and returns its status.
func (r *remote) usage(std stdio, msg string) int {
	fmt.Fprintf(std.err, "blindjoin %s: %s\n", r.name, msg)
	return exitUsage
}

// fail reports err and returns the command's exit status: the clean
// room's refusals with their code and message, an interruption with how
// to go on (resume, if not empty).
func (r *remote) fail(std stdio, err error, resume string) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(std.err, "blindjoin %s: interrupted.", r.name)
		if resume != "" {
			fmt.Fprintf(std.err, " %s", resume)
		}
		fmt.Fprintln(std.err)
		return exitInterrupted
	}
	if e, ok := errors.AsType[*client.APIError](err); ok && e.Code != "" {
		verb := "refused"
		if e.Status >= 500 {
			verb = "failed"
		}
		fmt.Fprintf(std.err, "blindjoin %s: the clean room %s (%s): %s\n", r.name, verb, e.Code, e.Message)
		return exitFail
	}
	fmt.Fprintf(std.err, "blindjoin %s: %v\n", r.name, err)
	return exitFail
}

// printJSON writes v as an indented JSON object.
func printJSON(std stdio, v any) int {
	data, err := json.MarshalIndent(v, "", "  ")
	if err == nil {
		_, err = std.out.Write(append(data, '\n'))
	}
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin: writing the output: %v\n", err)
		return exitFail
	}
	return exitOK
}

// call is one run of a command that works on one session.
type call struct {
	id     string
	client *client.Client
	ctx    context.Context
	stop   context.CancelFunc
}

// connectToSession parses args, which must name exactly one session id
// (synopsis is the usage line shown otherwise), builds the client and an
// interruptible context. A nil call means the command returns code.
func (r *remote) connectToSession(std stdio, fs *flag.FlagSet, args []string, synopsis string) (*call, int) {
	pos, code, ok := parseOrUsage(fs, args)
	if !ok {
		return nil, code
	}
	if len(pos) != 1 {
		return nil, r.usage(std, "usage: "+synopsis)
	}
	c, err := r.client(std)
	if err != nil {
		return nil, r.usage(std, err.Error())
	}
	ctx, stop := std.interruptible()
	return &call{id: pos[0], client: c, ctx: ctx, stop: stop}, exitOK
}
