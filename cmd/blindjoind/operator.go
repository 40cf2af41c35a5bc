package main

import (
	"fmt"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
)

func operatorAdd(c *cli, args []string) int {
	fs, data := c.flags("operator add")
	name := fs.String("name", "", "operator `name` ([a-z0-9][a-z0-9_.-]*, at most 64)")
	keys := keysFlag(fs)
	if status, ok := c.parseFlags(fs, args); !ok {
		return status
	}
	if *name == "" {
		return usageError(c, fs, "--name is required")
	}
	// The credentials live beside the shared secrets: in the keys
	// directory every replica mounts, or in the data directory.
	dir := *data
	if *keys != "" {
		dir = *keys
	}
	cred, err := operator.AddOperator(dir, *name)
	if err != nil {
		return c.finish(err)
	}
	fmt.Fprintf(c.out, "%s\n", cred)
	fmt.Fprintf(c.err, "operator %s can log in to the web console (/console/ on the serving address) with the credential above, shown this once; only its hash is stored\n", *name)
	return exitOK
}
