package main

import (
	"encoding/hex"
	"flag"
	"fmt"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
)

// storeFlag adds --store, the PostgreSQL URL that replaces the data
// directory's SQLite file (BLINDJOIN_STORE in the environment).
func storeFlag(fs *flag.FlagSet) *string {
	return fs.String("store", "", "PostgreSQL `URL` (postgres://USER@HOST:PORT/DB?sslmode=...) instead of the SQLite file in --data")
}

// keysFlag adds --keys, the directory of the shared secrets (BLINDJOIN_KEYS).
func keysFlag(fs *flag.FlagSet) *string {
	return fs.String("keys", "", "`directory` of the token keyring, server secret and transcript key (from keys init) instead of --data")
}

// blobsFlag adds --blobs, the S3 bucket of the part files (BLINDJOIN_BLOBS).
func blobsFlag(fs *flag.FlagSet) *string {
	return fs.String("blobs", "", "S3 `URL` (s3://BUCKET[/PREFIX]?endpoint=http://HOST:PORT; credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) instead of files in --data")
}

// keysDir is the directory the keys commands work on: --keys if given,
// else the data directory.
func keysDir(data, keys string) string {
	if keys != "" {
		return keys
	}
	return data
}

func keysInit(c *cli, args []string) int {
	fs := flag.NewFlagSet("blindjoind keys init", flag.ContinueOnError)
	fs.SetOutput(c.err)
	keys := keysFlag(fs)
	if status, ok := c.parseFlags(fs, args); !ok {
		return status
	}
	if *keys == "" {
		return usageError(c, fs, "--keys is required")
	}
	pub, err := operator.InitKeys(*keys)
	if err == nil {
		_, err = fmt.Fprintf(c.out, "keys directory %s ready; transcript public key %s\n", *keys, hex.EncodeToString(pub))
	}
	return c.finish(err)
}

// location is where a command's state lives.
func location(data, store, blobs, keys string) operator.Location {
	return operator.Location{DataDir: data, Store: store, Blobs: blobs, Keys: keys}
}
