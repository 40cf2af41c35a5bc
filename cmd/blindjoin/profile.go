package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/profile"
)

func runLogin(args []string, std stdio) int {
	fs := newFlags("login", std)
	name := fs.String("profile", profile.Default, "profile `name`")
	server := fs.String("server", "", "clean room `URL` (required)")
	caFile := fs.String("ca-file", "", "PEM `file` of the certificate authorities to trust for this server (default: the system's)")
	pos, code, ok := cli.ParseOrUsage(fs, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(std.err, "blindjoin login: "+format+"\n", a...)
		return code
	}
	if len(pos) != 0 || *server == "" || *name == "" {
		return fail(exitUsage, "usage: blindjoin login [--profile NAME] --server URL [--ca-file FILE], the API key on stdin or in $%s", profile.EnvAPIKey)
	}
	key := std.getenv(profile.EnvAPIKey)
	if key == "" {
		line, err := bufio.NewReader(std.in).ReadString('\n')
		if err != nil && line == "" {
			return fail(exitUsage, "no API key: give it on stdin (one line) or in $%s", profile.EnvAPIKey)
		}
		key = strings.TrimSpace(line)
	}
	p := profile.Profile{Server: *server, APIKey: key, CAFile: *caFile}
	c, err := newClient(std, p)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	ctx, stop := std.interruptible()
	defer stop()
	// Check the key before storing it: a typo found now is cheaper.
	id, err := c.Identity(ctx)
	if err != nil && !errors.Is(err, client.ErrNoIdentity) {
		return fail(exitFail, "the clean room did not accept the key: %v", err)
	}
	path, err := profile.Path(std.getenv)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	if err := profile.Save(path, *name, p); err != nil {
		return fail(exitFail, "saving the profile: %v", err)
	}
	who := "this party"
	if id.Party != "" {
		who = fmt.Sprintf("%s (%s)", id.Party, id.Role)
	}
	fmt.Fprintf(std.out, "profile %q: %s at %s, saved in %s\n", *name, who, *server, path)
	return exitOK
}
