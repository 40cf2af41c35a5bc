//go:build unix && !aix && !solaris

package spill

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// spillProcessEnv names the parent directory in which the test binary,
// started again by startSpillProcess, makes its spill.
const spillProcessEnv = "BLINDJOIN_SPILL_TEST_PARENT"

// TestSpillProcess is not a test: it is the body of the process that
// startSpillProcess starts. It makes and finishes a spill, prints its
// directory, and holds it until its standard input closes; then it reads
// every bucket back and exits 0 only if each is as it was written.
func TestSpillProcess(t *testing.T) {
	parent := os.Getenv(spillProcessEnv)
	if parent == "" {
		t.Skip("the body of the process startSpillProcess starts")
	}
	const buckets, size = 4, 8
	w, err := Create(parent, buckets, size, 1<<10)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := range 100 {
		w.Add(i%buckets, bytes.Repeat([]byte{byte(i % buckets)}, size))
	}
	b, err := w.Finish()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("spill-dir %s\n", b.dir)
	bufio.NewReader(os.Stdin).ReadString('\n') // until EOF
	for k := range buckets {
		got, err := b.Read(k, nil)
		if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{byte(k)}, 25*size)) {
			fmt.Fprintf(os.Stderr, "bucket %d did not read back (%v)\n", k, err)
			os.Exit(1)
		}
	}
	b.Remove()
	os.Exit(0)
}

// spillProcess is a running process that holds a spill.
type spillProcess struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	dir   string // its spill directory
}

// startSpillProcess starts the test binary again as TestSpillProcess,
// with its spill under parent, and waits for the spill to be made.
func startSpillProcess(t *testing.T, parent string) *spillProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSpillProcess$")
	cmd.Env = append(os.Environ(), spillProcessEnv+"="+parent)
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
	p := &spillProcess{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	p.dir = strings.TrimPrefix(strings.TrimSpace(line), "spill-dir ")
	if err != nil || p.dir == "" || !strings.HasPrefix(line, "spill-dir ") {
		t.Fatalf("the spill process printed %q (%v)", line, err)
	}
	return p
}

// kill ends the process with SIGKILL, as the OOM killer or a supervisor
// out of patience would: nothing of it runs after.
func (p *spillProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

// finish lets the process read its spill back and end; it fails the test
// if the spill was not intact.
func (p *spillProcess) finish(t *testing.T) {
	t.Helper()
	p.stdin.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("the live process's spill did not survive: %v", err)
	}
}

// TestCreateRemovesSpillOfKilledProcess: two processes spill into one
// scratch directory, one is killed with SIGKILL; the next Create there
// removes the dead one's directory and leaves the live one's whole (it
// reads every bucket back afterwards).
func TestCreateRemovesSpillOfKilledProcess(t *testing.T) {
	parent := t.TempDir()
	dead := startSpillProcess(t, parent)
	live := startSpillProcess(t, parent)
	dead.kill(t)
	if _, err := os.Stat(dead.dir); err != nil {
		t.Fatalf("the killed process's spill is not there to remove: %v", err)
	}

	w, err := Create(parent, 2, 8, 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abandon()
	if _, err := os.Stat(dead.dir); !os.IsNotExist(err) {
		t.Fatalf("the killed process's spill is still there after Create (%v)", err)
	}
	if _, err := os.Stat(live.dir); err != nil {
		t.Fatalf("the live process's spill is gone: %v", err)
	}
	live.finish(t)
}
