package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/blindjoin/blindjoin/internal/proc"
)

// withReportedPeak replaces the kernel's peak RSS with the one the process
// reported itself, when it could (see proc.PeakRSS).
func withReportedPeak(u proc.Usage, peakRSS int64) proc.Usage {
	if peakRSS > 0 {
		u.PeakRSS = peakRSS
	}
	return u
}

// child is one process of the benchmarked system: this binary run with a
// hidden child command (ChildMain), stdout captured, stderr in
// dir/<name>.log.
type child struct {
	cmd     *exec.Cmd
	stdout  bytes.Buffer
	started time.Time
	exited  time.Time
	usage   proc.Usage
	done    chan error
}

// startChild starts this binary with ARGS (a hidden child command first),
// pinned to the first
// cores CPUs (0: all), with env added to the environment. stdout, if not
// nil, receives the child's output instead of c.stdout.
func startChild(ctx context.Context, dir, name string, cores int, env []string, stdout io.Writer, args ...string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	c := &child{done: make(chan error, 1)}
	c.cmd = exec.CommandContext(ctx, exe, args...)
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout = stdout
	if stdout == nil {
		c.cmd.Stdout = &c.stdout
	}
	c.cmd.Stderr = logf
	c.started = time.Now()
	if err := proc.StartPinned(c.cmd, cores); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		err := c.cmd.Wait()
		c.exited = time.Now()
		if c.cmd.ProcessState != nil {
			c.usage = proc.UsageOf(c.cmd.ProcessState)
		}
		logf.Close()
		if err != nil {
			err = fmt.Errorf("%s: %w (see %s)", name, err, logf.Name())
		}
		c.done <- err
	}()
	return c, nil
}

// wait waits for the child to exit.
func (c *child) wait() error { return <-c.done }

// server is the clean-room child, which prints its address once it
// listens.
type server struct {
	*child
	addr string
	out  *firstLine
}

// startServer starts the clean room and waits for its address.
func startServer(ctx context.Context, dir string, cores int, args ...string) (*server, error) {
	first := &firstLine{line: make(chan string, 1)}
	c, err := startChild(ctx, dir, "server", cores, nil, first, append([]string{childServer}, args...)...)
	if err != nil {
		return nil, err
	}
	select {
	case addr := <-first.line:
		return &server{child: c, addr: addr, out: first}, nil
	case err := <-c.done:
		return nil, fmt.Errorf("the server did not start: %w", err)
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		return nil, errors.New("the server did not start within 30 s")
	}
}

// stop shuts the server down gracefully, waits for it and takes the
// peak RSS it reports on exit.
func (s *server) stop() error {
	if err := proc.Terminate(s.cmd.Process); err != nil {
		return err
	}
	if err := s.wait(); err != nil {
		return err
	}
	var exit exitReport
	if err := json.Unmarshal(s.out.rest(), &exit); err != nil {
		return fmt.Errorf("server: exit report: %w", err)
	}
	s.usage = withReportedPeak(s.usage, exit.PeakRSS)
	return nil
}

// exitReport is what the server child prints when it stops.
type exitReport struct {
	PeakRSS int64 `json:"peak_rss"`
}

// firstLine keeps what is written to it and hands out the first
// line as soon as it is complete.
type firstLine struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	sent bool
	line chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf.Write(p)
	if !f.sent {
		if line, _, ok := bytes.Cut(f.buf.Bytes(), []byte("\n")); ok {
			f.line <- strings.TrimSpace(string(line))
			f.sent = true
		}
	}
	return len(p), nil
}

// rest returns what followed the first line.
func (f *firstLine) rest() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, after, _ := bytes.Cut(f.buf.Bytes(), []byte("\n"))
	return bytes.Clone(after)
}
