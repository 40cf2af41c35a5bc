package main

import (
	"fmt"
	"io/fs"
	"os"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/testvectors"
)

func runVectorsVerify(args []string, std stdio) int {
	flags := newFlags("vectors verify", std)
	flags.Usage = func() {
		fmt.Fprintln(std.err, "usage: blindjoin vectors verify [DIR]\n\nReplays every vector file: the copies built into this binary, or the *.json files of DIR.")
	}
	positional, code, ok := cli.ParseOrUsage(flags, args)
	if !ok {
		return code
	}
	switch len(positional) {
	case 0:
		return reportVectors(std, "built-in vectors", testvectors.Embedded())
	case 1:
		dir := positional[0]
		if _, err := os.ReadDir(dir); err != nil {
			fmt.Fprintf(std.err, "blindjoin vectors verify: %v\n", err)
			return exitFail
		}
		return reportVectors(std, dir, os.DirFS(dir))
	}
	flags.Usage()
	return exitUsage
}

// reportVectors prints one line per file and a total, and returns the exit
// status: failure if any file failed or none could be found.
func reportVectors(std stdio, where string, src fs.FS) int {
	results, err := testvectors.Verify(src)
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin vectors verify: %s: %v\n", where, err)
		return exitFail
	}
	checked, failed := 0, 0
	for _, r := range results {
		checked += r.Checked
		status := "ok"
		if r.Err != nil {
			failed++
			status = "FAILED: " + r.Err.Error()
		}
		fmt.Fprintf(std.out, "%-20s %4d checked  %s\n", r.Name, r.Checked, status)
	}
	if failed > 0 {
		fmt.Fprintf(std.out, "total: %d files, %d vectors checked, %d files FAILED\n", len(results), checked, failed)
		return exitFail
	}
	fmt.Fprintf(std.out, "total: %d files, %d vectors checked, all ok\n", len(results), checked)
	return exitOK
}
