// Package childtest runs the test binary again as a child process that
// makes something on disk (a spill, a party's scratch directory) and
// holds it until the test kills the child or lets it finish: what a
// process killed outright leaves behind, and whether another process
// tells it from a live one's, only a real process shows. Only tests
// import it.
package childtest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Child is a running child process.
type Child struct {
	cmd   *exec.Cmd
	stdin io.Closer
	// Made is what the child said it made (Hold's argument).
	Made string
}

// Start runs the test binary again with only the test named body (a
// test function that skips unless its environment variable is set),
// with env ("NAME=value") added to this process's environment, and
// returns once the body called Hold. The child is killed when the test
// ends, if it is still running.
func Start(t *testing.T, body string, env ...string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+body+"$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	made, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), heldPrefix)
	if err != nil || !ok || made == "" {
		t.Fatalf("%s printed %q (%v), not what it holds", body, line, err)
	}
	return &Child{cmd: cmd, stdin: stdin, Made: made}
}

// heldPrefix begins the line by which Hold tells Start what it made.
const heldPrefix = "childtest-holds "

// Hold, in the child, tells the parent what it made (a path), waits
// until the parent lets it finish (Finish), then ends the child: with
// status 0 if check (whether what it made is intact, and its removal)
// returns nil, else 1, with the error on standard error.
func Hold(made string, check func() error) {
	os.Stdout.WriteString(heldPrefix + made + "\n")
	io.Copy(io.Discard, os.Stdin) // until Finish closes it
	if err := check(); err != nil {
		Fail(err)
	}
	os.Exit(0)
}

// Fail ends the child with status 1, err on standard error: for what it
// could not make (Start then fails the test) or Hold's check.
func Fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// Kill ends the child with SIGKILL, as the OOM killer or a supervisor
// out of patience would: nothing of it runs after.
func (c *Child) Kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
}

// Finish lets the child check what it made and end; it fails the test if
// the child did not exit 0.
func (c *Child) Finish(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("what the live child held did not survive: %v", err)
	}
}
