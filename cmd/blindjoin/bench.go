package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// benchBinary is the program that runs `blindjoin bench`: the benchmark
// and its child processes live in their own binary (cmd/blindjoin-bench),
// not in this one.
const benchBinary = "blindjoin-bench"

// runBench runs blindjoin-bench with the same arguments and passes its
// output and exit status through. It looks for it next to this binary,
// then on PATH; inside a checkout of the module (`go run ./cmd/blindjoin
// bench`), `go run` builds it.
func runBench(args []string, std stdio) int {
	name, pre, how := findBench()
	if name == "" {
		fmt.Fprintf(std.err, "blindjoin bench: %s was found neither next to this binary nor on PATH; build both with\n"+
			"  go build -o DIR ./cmd/blindjoin ./cmd/blindjoin-bench\nor run go run ./cmd/blindjoin-bench [flags] in a checkout of blindjoin\n", benchBinary)
		return exitFail
	}
	if how != "" {
		fmt.Fprintf(std.err, "blindjoin bench: %s\n", how)
	}
	cmd := exec.Command(name, append(pre, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = std.in, std.out, std.err
	err := cmd.Run()
	if exit, ok := errors.AsType[*exec.ExitError](err); ok && exit.ExitCode() >= 0 {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin bench: %v\n", err)
		return exitFail
	}
	return exitOK
}

// findBench returns the command that runs blindjoin-bench, its leading
// arguments and, when it is not a plain binary, a line saying how it runs.
func findBench() (name string, pre []string, how string) {
	if exe, err := os.Executable(); err == nil {
		sibling := filepath.Join(filepath.Dir(exe), benchBinary)
		if _, err := os.Stat(sibling); err == nil {
			return sibling, nil, ""
		}
	}
	if path, err := exec.LookPath(benchBinary); err == nil {
		return path, nil, ""
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", nil, ""
	}
	// Only inside this module does the package path resolve.
	if exec.Command(goTool, "list", "github.com/blindjoin/blindjoin/cmd/blindjoin-bench").Run() != nil {
		return "", nil, ""
	}
	return goTool, []string{"run", "github.com/blindjoin/blindjoin/cmd/blindjoin-bench"}, "building and running " + benchBinary + " with go run"
}
