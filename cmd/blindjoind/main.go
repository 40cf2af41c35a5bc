// Command blindjoind is the clean-room operator's binary: it serves the
// HTTP API, runs the background jobs and manages parties and signing keys
// in a data directory.
//
//	blindjoind serve        [--data DIR] [--addr HOST:PORT] [--metrics-addr HOST:PORT] [flags]
//	blindjoind worker       [--data DIR] [--metrics-addr HOST:PORT] [--job-lease D] [--job-workers N]
//	blindjoind party add    [--data DIR] --name NAME --role ROLE [--json]
//	blindjoind party list   [--data DIR] [--json]
//	blindjoind party revoke [--data DIR] --name NAME   (or NAME)
//	blindjoind keys init    --keys DIR
//	blindjoind keys rotate  [--data DIR]
//	blindjoind keys show    [--data DIR] [--json]
//
// In cluster mode serve and worker also take --store
// postgres://USER@HOST:PORT/DB, --blobs s3://BUCKET?endpoint=URL and
// --keys DIR (see docs/OPERATIONS.md); the party commands take --store and
// the keys commands --keys. Any number of serve replicas and workers share
// one database, bucket and keys directory.
//
// Flags can also be set in the environment as BLINDJOIN_<FLAG> (for
// example BLINDJOIN_DATA, BLINDJOIN_ADDR, BLINDJOIN_DP_BUDGET); a flag on
// the command line wins. Exit status: 0 success, 1 failure, 2 usage error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}
