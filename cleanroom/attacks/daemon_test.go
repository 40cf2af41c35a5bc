package attacks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// daemon is a running "blindjoind serve" process whose JSON log (stderr)
// is read line by line, copied to serverLog for TestMain's scan, and
// offered to a kill trigger.
type daemon struct {
	cmd  *exec.Cmd
	srv  *server
	done chan struct{} // closed when the process's stderr ends

	mu      sync.Mutex
	lines   []map[string]any
	trigger func(map[string]any) bool // SIGKILL at the first line it accepts
	killed  bool
}

// startDaemon runs bin serve on dataDir and a free loopback port, and waits
// until it serves (after its crash recovery, which runs first).
func startDaemon(t testing.TB, bin, dataDir string, flags ...string) *daemon {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0", "--log-format", "json", "--log-level", "info"}, flags...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, done: make(chan struct{})}
	serving := make(chan string, 1)
	go d.read(stderr, serving)
	t.Cleanup(func() { d.kill(t) })
	select {
	case addr := <-serving:
		d.srv = &server{url: "http://" + addr, dir: dataDir}
	case <-d.done:
		t.Fatal("blindjoind exited before serving")
	case <-time.After(2 * time.Minute):
		t.Fatal("blindjoind did not start serving")
	}
	return d
}

func (d *daemon) read(stderr io.Reader, serving chan<- string) {
	defer close(d.done)
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		serverLog.Write(append(bytes.Clone(line), '\n'))
		var m map[string]any
		if json.Unmarshal(line, &m) != nil {
			continue
		}
		d.mu.Lock()
		d.lines = append(d.lines, m)
		if d.trigger != nil && !d.killed && d.trigger(m) {
			d.cmd.Process.Kill() // SIGKILL, at once, from the reader
			d.killed = true
		}
		d.mu.Unlock()
		if m["msg"] == "blindjoind serving" {
			if addr, ok := m["addr"].(string); ok {
				serving <- addr
			}
		}
	}
}

// killOn arms a trigger: the first log line it accepts kills the process.
func (d *daemon) killOn(f func(map[string]any) bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.trigger = f
}

// kill sends SIGKILL (if the process still runs) and waits for it.
func (d *daemon) kill(t testing.TB) {
	d.mu.Lock()
	if !d.killed {
		d.cmd.Process.Kill()
		d.killed = true
	}
	d.mu.Unlock()
	<-d.done
	d.cmd.Wait()
}

// logged reports whether a log line has msg and every given field.
func (d *daemon) logged(msg string, fields map[string]any) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range d.lines {
		if matches(m, msg, fields) {
			return true
		}
	}
	return false
}

func matches(m map[string]any, msg string, fields map[string]any) bool {
	if m["msg"] != msg {
		return false
	}
	for k, v := range fields {
		if m[k] != v {
			return false
		}
	}
	return true
}

// logField returns a field of the first line with msg.
func (d *daemon) logField(msg, field string) any {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range d.lines {
		if m["msg"] == msg {
			return m[field]
		}
	}
	return nil
}

// partyAdd registers a party with "blindjoind party add --json".
func partyAdd(t testing.TB, bin, dataDir, name string, role api.Role) *party {
	t.Helper()
	out, err := exec.Command(bin, "party", "add", "--data", dataDir, "--name", name, "--role", string(role), "--json").Output()
	if err != nil {
		t.Fatalf("party add: %v", err)
	}
	var added struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(out, &added); err != nil || !strings.HasPrefix(added.APIKey, "bjk_") {
		t.Fatalf("party add --json printed %q", out)
	}
	secrets.add("API key", added.APIKey)
	return &party{name: name, role: role, apiKey: added.APIKey}
}
