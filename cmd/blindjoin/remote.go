package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/profile"
)

// remote holds the flags of every command that talks to a clean room.
type remote struct {
	name    string // "session create", for messages
	server  *string
	apiKey  *string
	caFile  *string
	profile *string
	json    *bool
}

// remoteFlags returns a FlagSet with the credential flags of
// credentialFlags and --json.
func remoteFlags(name string, std stdio) (*flag.FlagSet, *remote) {
	fs := newFlags(name, std)
	r := credentialFlags(fs, name)
	r.json = fs.Bool("json", false, "print one JSON object instead of text")
	return fs, r
}

// credentialFlags adds --server, --api-key, --ca-file and --profile to fs:
// how every command that talks to a clean room finds it and this party's
// key.
func credentialFlags(fs *flag.FlagSet, name string) *remote {
	return &remote{
		name:    name,
		server:  fs.String("server", "", "clean room `URL` (default $"+profile.EnvServer+", then the profile's)"),
		apiKey:  fs.String("api-key", "", "this party's API `key` (default $"+profile.EnvAPIKey+", then the profile's; prefer either: arguments show in ps)"),
		caFile:  fs.String("ca-file", "", "PEM `file` of the certificate authorities to trust (default $"+profile.EnvCAFile+", then the profile's, then the system's)"),
		profile: fs.String("profile", "", "`name` of the profile `blindjoin login` saved (default $"+profile.EnvName+", then \"default\")"),
		json:    new(bool),
	}
}

// client builds the API client: each setting from its flag, else its
// environment variable, else the profile.
func (r *remote) client(std stdio) (*client.Client, error) {
	p, err := profile.Resolve(profile.Profile{Server: *r.server, APIKey: *r.apiKey, CAFile: *r.caFile}, *r.profile, std.getenv)
	if err != nil {
		return nil, err
	}
	return newClient(std, p)
}

// newClient builds the API client of p, trusting p.CAFile's authorities
// when set.
func newClient(std stdio, p profile.Profile) (*client.Client, error) {
	cfg := client.Config{
		BaseURL:   p.Server,
		APIKey:    client.Secret(p.APIKey),
		UserAgent: "blindjoin-cli",
		// Warnings say why a call is being retried, so a wait is explained.
		Logger: slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if p.CAFile != "" {
		pem, err := os.ReadFile(p.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file: %s holds no PEM certificate", p.CAFile)
		}
		cfg.RootCAs = roots
	}
	return client.New(cfg)
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
	pos, code, ok := cli.ParseOrUsage(fs, args)
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
