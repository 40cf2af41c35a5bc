package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/cleanroom/ratelimit"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const (
	defaultData = "./blindjoin-data"
	defaultAddr = "127.0.0.1:8080"
)

// env looks an environment variable up (os.LookupEnv outside tests).
type env func(string) (string, bool)

// cli is one invocation: its context, output streams and environment.
type cli struct {
	ctx      context.Context
	out, err io.Writer
	env      env
}

type command struct {
	name  string
	usage string
	run   func(c *cli, args []string) int
}

// commands in the order usage lists them.
var commands = []command{
	{"serve", "serve the HTTP API and the operator and auditor console (/console/), and run jobs", serve},
	{"worker", "run the clean room's background jobs only (beside serve replicas)", worker},
	{"party add", "register a party and print its API key once", partyAdd},
	{"party list", "list the registered parties", partyList},
	{"party revoke", "revoke a party's API key and tokens", partyRevoke},
	{"operator add", "create a web-console operator credential and print it once", operatorAdd},
	{"keys init", "create a keys directory for replicas that share secrets", keysInit},
	{"keys rotate", "make a new token-signing key current", keysRotate},
	{"keys show", "print the transcript public key auditors verify with", keysShow},
}

func lookupCommand(name string) (command, bool) {
	i := slices.IndexFunc(commands, func(cmd command) bool { return cmd.name == name })
	if i < 0 {
		return command{}, false
	}
	return commands[i], true
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) int {
	c := &cli{ctx: ctx, out: stdout, err: stderr, env: lookup}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		c.usage(stdout)
		return exitOK
	}
	name := args[0]
	rest := args[1:]
	if _, ok := lookupCommand(name); !ok && len(args) > 1 {
		name, rest = args[0]+" "+args[1], args[2:]
	}
	cmd, ok := lookupCommand(name)
	if !ok {
		fmt.Fprintf(stderr, "blindjoind: unknown command %q\n\n", name)
		c.usage(stderr)
		return exitUsage
	}
	return cmd.run(c, rest)
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: blindjoind COMMAND [flags]\n\ncommands:")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", cmd.name, cmd.usage)
	}
	fmt.Fprintln(w, "\nRun \"blindjoind COMMAND -h\" for its flags. Every flag but --json can be set as\nBLINDJOIN_<FLAG> in the environment (e.g. BLINDJOIN_DATA); the command line wins.")
}

// flags returns a FlagSet for a command with the --data flag every command
// has.
func (c *cli) flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("blindjoind "+name, flag.ContinueOnError)
	fs.SetOutput(c.err)
	data := fs.String("data", defaultData, "data `directory`")
	return fs, data
}

// parse applies the environment, then the command line, and returns the
// positional arguments; ok is false after a usage error (already reported).
func (c *cli) parse(fs *flag.FlagSet, args []string) (positional []string, status int, ok bool) {
	if err := applyEnv(fs, c.env); err != nil {
		fmt.Fprintf(c.err, "%s: %v\n", fs.Name(), err)
		return nil, exitUsage, false
	}
	// Flags may come before or after positional arguments
	// ("party revoke NAME --data DIR").
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		if fs.NArg() == 0 {
			return positional, exitOK, true
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseFlags is parse for the commands that take no positional arguments.
func (c *cli) parseFlags(fs *flag.FlagSet, args []string) (status int, ok bool) {
	rest, status, ok := c.parse(fs, args)
	if ok && len(rest) != 0 {
		return usageError(c, fs, "unexpected arguments"), false
	}
	return status, ok
}

// applyEnv sets each flag from BLINDJOIN_<NAME> (dashes as underscores)
// when that variable exists; output switches like --json are left to the
// command line.
func applyEnv(fs *flag.FlagSet, lookup env) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "json" || err != nil {
			return
		}
		name := "BLINDJOIN_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := lookup(name); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("environment variable %s: %v", name, e)
			}
		}
	})
	return err
}

// finish reports a command's error and returns its exit status.
func (c *cli) finish(err error) int {
	if err != nil {
		fmt.Fprintf(c.err, "blindjoind: %v\n", err)
		return exitFail
	}
	return exitOK
}

func usageError(c *cli, fs *flag.FlagSet, msg string) int {
	fmt.Fprintf(c.err, "%s: %s\n", fs.Name(), msg)
	fs.Usage()
	return exitUsage
}

func serve(c *cli, args []string) int {
	fs, data := c.flags("serve")
	store, blobs, keys := storeFlag(fs), blobsFlag(fs), keysFlag(fs)
	addr := fs.String("addr", defaultAddr, "listen `address` (host:port)")
	ops := addOpsFlags(fs)
	tlsCert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate (chain) `file`; needs --tls-key")
	tlsKey := fs.String("tls-key", "", "the PEM private key `file` of --tls-cert")
	floor := fs.String("floor", "", "policy JSON `file` with the loosest settings a session may ask for (default: built-in defaults)")
	budget := fs.Float64("dp-budget", 0, "differential-privacy `epsilon` per advertiser-partner pair per 30 days (0: default 10)")
	issuer := fs.String("issuer", operator.DefaultIssuer, "access-token issuer (iss)")
	audience := fs.String("audience", operator.DefaultAudience, "access-token audience (aud)")
	ttl := fs.Duration("token-ttl", operator.DefaultTokenTTL, "access-token lifetime (at most 15m)")
	createRate := fs.Float64("create-rate", httpapi.DefaultLimits.Create.Rate, "session creations per second per party")
	createBurst := fs.Int("create-burst", httpapi.DefaultLimits.Create.Burst, "session creations allowed at once per party")
	partsRate := fs.Float64("parts-rate", httpapi.DefaultLimits.Parts.Rate, "part uploads and downloads per second per party")
	partsBurst := fs.Int("parts-burst", httpapi.DefaultLimits.Parts.Burst, "part uploads and downloads allowed at once per party")
	tokenRate := fs.Float64("token-rate", httpapi.DefaultLimits.Token.Rate, "token requests per second per client address")
	tokenBurst := fs.Int("token-burst", httpapi.DefaultLimits.Token.Burst, "token requests allowed at once per client address")
	if status, ok := c.parseFlags(fs, args); !ok {
		return status
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageError(c, fs, "give both --tls-cert and --tls-key, or neither")
	}
	if *ttl > auth.MaxTokenLifetime {
		return usageError(c, fs, fmt.Sprintf("--token-ttl is at most %v", auth.MaxTokenLifetime))
	}
	limits := httpapi.Limits{
		Create: ratelimit.Limit{Rate: *createRate, Burst: *createBurst},
		Parts:  ratelimit.Limit{Rate: *partsRate, Burst: *partsBurst},
		Token:  ratelimit.Limit{Rate: *tokenRate, Burst: *tokenBurst},
	}
	if limits.Create.Validate() != nil || limits.Parts.Validate() != nil || limits.Token.Validate() != nil {
		return usageError(c, fs, "rates and bursts must be positive")
	}
	cfg := operator.Config{
		DataDir: *data, Store: *store, Blobs: *blobs, Keys: *keys, Addr: *addr,
		TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey,
		FloorFile: *floor, DPBudget: *budget,
		Issuer: *issuer, Audience: *audience, TokenTTL: *ttl, Limits: limits,
	}
	if err := ops.apply(&cfg, c.err); err != nil {
		return usageError(c, fs, err.Error())
	}
	return c.finish(operator.Serve(c.ctx, cfg))
}

func worker(c *cli, args []string) int {
	fs, data := c.flags("worker")
	store, blobs, keys := storeFlag(fs), blobsFlag(fs), keysFlag(fs)
	ops := addOpsFlags(fs)
	if status, ok := c.parseFlags(fs, args); !ok {
		return status
	}
	if *ops.jobWorkers < 1 {
		return usageError(c, fs, "--job-workers must be at least 1")
	}
	cfg := operator.Config{DataDir: *data, Store: *store, Blobs: *blobs, Keys: *keys}
	if err := ops.apply(&cfg, c.err); err != nil {
		return usageError(c, fs, err.Error())
	}
	return c.finish(operator.Work(c.ctx, cfg))
}

func partyAdd(c *cli, args []string) int {
	fs, data := c.flags("party add")
	store, keys := storeFlag(fs), keysFlag(fs)
	name := fs.String("name", "", "party `name` ([a-z0-9][a-z0-9_.-]*, at most 64)")
	role := fs.String("role", "", "advertiser, media_partner or auditor")
	asJSON := fs.Bool("json", false, `print {"name","role","api_key"} as JSON`)
	rest, status, ok := c.parse(fs, args)
	if !ok {
		return status
	}
	if len(rest) != 0 || *name == "" || *role == "" {
		return usageError(c, fs, "--name and --role are required, and nothing else")
	}
	key, err := operator.AddPartyIn(c.ctx, location(*data, *store, "", *keys), *name, api.Role(*role))
	if err == nil {
		err = writeAddedParty(c.out, *name, *role, key, *asJSON)
	}
	return c.finish(err)
}

func partyList(c *cli, args []string) int {
	fs, data := c.flags("party list")
	store, keys := storeFlag(fs), keysFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if status, ok := c.parseFlags(fs, args); !ok {
		return status
	}
	parties, err := operator.ListPartiesIn(c.ctx, location(*data, *store, "", *keys))
	if err == nil {
		err = writeParties(c.out, parties, *asJSON)
	}
	return c.finish(err)
}

func partyRevoke(c *cli, args []string) int {
	fs, data := c.flags("party revoke")
	store, keys := storeFlag(fs), keysFlag(fs)
	name := fs.String("name", "", "party `name` (or give it as the only argument)")
	rest, status, ok := c.parse(fs, args)
	if !ok {
		return status
	}
	// --name like party add; the positional form of earlier versions
	// stays.
	switch {
	case *name == "" && len(rest) == 1:
		*name = rest[0]
	case *name == "" || len(rest) != 0:
		return usageError(c, fs, "give the party as --name NAME (or as the only argument)")
	}
	if err := operator.RevokePartyIn(c.ctx, location(*data, *store, "", *keys), *name); err != nil {
		return c.finish(err)
	}
	_, err := fmt.Fprintf(c.out, "revoked %s: its API key and access tokens no longer work\n", *name)
	return c.finish(err)
}

func keysRotate(c *cli, args []string) int {
	fs, data := c.flags("keys rotate")
	keys := keysFlag(fs)
	if status, ok := c.parseFlags(fs, args); !ok {
		return status
	}
	kid, err := operator.RotateKeys(keysDir(*data, *keys))
	if err == nil {
		_, err = fmt.Fprintf(c.out, "new token-signing key %s; tokens signed by the previous key stay valid until they expire (at most %v)\n", kid, auth.MaxTokenLifetime)
	}
	return c.finish(err)
}

func keysShow(c *cli, args []string) int {
	fs, data := c.flags("keys show")
	keys := keysFlag(fs)
	asJSON := fs.Bool("json", false, `print {"transcript_public_key": HEX}`)
	if status, ok := c.parseFlags(fs, args); !ok {
		return status
	}
	pub, err := operator.TranscriptKey(keysDir(*data, *keys))
	switch {
	case err != nil:
	case *asJSON:
		err = writeJSON(c.out, map[string]string{"transcript_public_key": hex.EncodeToString(pub)})
	default:
		_, err = fmt.Fprintln(c.out, hex.EncodeToString(pub))
	}
	return c.finish(err)
}
