package testvectors

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runPython runs replay.py with args and returns its output and exit
// status. It skips the test when python3 is not installed: the Go replay
// does not depend on it, but CI machines with Python run the independent one.
func runPython(t *testing.T, args ...string) (string, int) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: the independent replay (replay.py) was not run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, append([]string{"replay.py"}, args...)...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit) && ctx.Err() == nil:
		return string(out), exit.ExitCode()
	}
	t.Fatalf("replay.py: %v\n%s", err, out)
	return "", 0
}

func TestPythonReplay(t *testing.T) {
	out, code := runPython(t)
	t.Log("\n" + out)
	if code != 0 || !strings.Contains(out, ", all ok (") {
		t.Fatalf("replay.py exited %d", code)
	}
	for _, name := range []string{"records.json", "encodings.json", "intersection.json", "upstream/rfc9496_ristretto255.json"} {
		if !strings.Contains(out, name) {
			t.Errorf("replay.py did not replay %s", name)
		}
	}
}

// TestPythonReplayFails checks that the independent replay can fail, on a
// copy with one changed hex digit and on one that changes the reason of an
// invalid encoding within its class, which only the Python replay (which
// recomputes the decoding step that fails) can tell.
func TestPythonReplayFails(t *testing.T) {
	tests := []struct{ name, file, old, new string }{
		{"hex digit", "records.json", `"blinded_ab": "70e9`, `"blinded_ab": "80e9`},
		{"reason within its class", "encodings.json", `"reason": "non-square x^2"`, `"reason": "negative xy"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			edited := strings.Replace(string(data), tc.old, tc.new, 1)
			if edited == string(data) {
				t.Fatalf("%s does not contain %s", tc.file, tc.old)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(edited), 0o644); err != nil {
				t.Fatal(err)
			}
			out, code := runPython(t, dir)
			if code != 1 || !strings.Contains(out, "FAILED") {
				t.Fatalf("replay.py exited %d on an edited %s:\n%s", code, tc.file, out)
			}
		})
	}
}
