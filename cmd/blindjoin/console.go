package main

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/partner/console"
	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

func runConsole(args []string, std stdio) int {
	fs := newFlags("console", std)
	r := credentialFlags(fs, "console")
	addr := fs.String("addr", "127.0.0.1:0", "`host:port` to listen on (port 0 picks a free one); loopback only unless --allow-remote")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback --addr: anyone who can reach it and holds the token acts as this party")
	noOpen := fs.Bool("no-open", false, "do not open a browser; only print the URL")
	dir := fs.String("dir", "blindjoin-console", "`directory` for each session's outputs (summary.json, rejects.csv, results.json, activation.csv) and session names")
	inputs := fs.String("inputs", ".", "`directory` whose CSV files the input picker lists")
	keyDir := fs.String("key-dir", "", "`directory` of this party's session keys (default: the user config directory)")
	serverKey := fs.String("server-key", "", "the clean room's transcript public `key` (hex or base64), to verify transcripts on the results page")
	pos, code, ok := cli.ParseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return r.usage(std, "unexpected arguments")
	}
	var pub ed25519.PublicKey
	if *serverKey != "" {
		var err error
		if pub, err = transcript.ParsePublicKey(*serverKey); err != nil {
			return r.usage(std, "--server-key: "+err.Error())
		}
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
	logger := slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := console.New(console.Config{Client: c, WorkDir: *dir, InputDir: *inputs, KeyDir: *keyDir, ServerKey: pub, Logger: logger})
	if err != nil {
		return r.fail(std, err, "")
	}
	ln, err := console.Listen(*addr, *allowRemote)
	if err != nil {
		return r.usage(std, err.Error())
	}
	url := srv.URL(ln.Addr())
	fmt.Fprintln(std.out, url)
	fmt.Fprintln(std.err, "blindjoin console: serving until interrupted (Ctrl-C); the URL holds this run's token: do not share it")
	if !*noOpen {
		if err := console.OpenBrowser(url, *dir); err != nil {
			fmt.Fprintf(std.err, "blindjoin console: no browser opened (%v): open the URL above\n", err)
		}
	}
	ctx, stop := std.interruptible()
	defer stop()
	if err := srv.Serve(ctx, ln); err != nil {
		return r.fail(std, err, "")
	}
	return exitOK
}
