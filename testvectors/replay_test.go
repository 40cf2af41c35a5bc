package testvectors

import (
	"context"
	"encoding/json"
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

// TestPythonReplayFails checks that the independent replay can fail, at
// the edited place, on copies with one edit each: a changed hex digit, the
// reason of an invalid encoding changed within its class (which only the
// Python replay, recomputing the decoding step that fails, can tell), a
// media partner's record in the form that lacks blinded_a and blinded_ab,
// a blinded_ba that is not blinded_ab, and a wrong overlap.
func TestPythonReplayFails(t *testing.T) {
	tests := []struct {
		name, file string
		edit       func(doc map[string]any)
		want       string // in the FAILED line
	}{
		{"hex digit", "records.json", func(d map[string]any) {
			r := item(d, "records", 0)
			r["blinded_ab"] = flipHex(r["blinded_ab"].(string))
		}, "records[0]: blinded_ab"},
		{"reason within its class", "encodings.json", func(d map[string]any) {
			for _, e := range d["encodings"].([]any) {
				if e := e.(map[string]any); e["reason"] == "non-square x^2" {
					e["reason"] = "negative xy"
				}
			}
		}, ": reason: rejected as 'non-square x^2'"},
		{"b record without blinded_a and blinded_ab", "intersection.json", func(d map[string]any) {
			r := item(d, "intersections", 0, "b", 0)
			delete(r, "blinded_a")
			delete(r, "blinded_ab")
		}, "intersections[0].b[0]: blinded_a: missing"},
		{"blinded_ba not blinded_ab", "intersection.json", func(d map[string]any) {
			item(d, "intersections", 0, "b", 1)["blinded_ba"] = item(d, "intersections", 0, "b", 0)["blinded_ab"]
		}, "intersections[0].b[1]: blinded_ba"},
		{"overlap", "intersection.json", func(d map[string]any) { item(d, "intersections", 0)["overlap"] = 5 }, "intersections[0]: overlap"},
		{"multi-key round", "multikey.json", func(d map[string]any) {
			item(d, "multikey", 0, "outcomes", 2, "rounds", 1)["pairs"] = 2
		}, "multikey[0].outcomes[2]: rounds[1]"},
		{"multi-key link", "multikey.json", func(d map[string]any) {
			item(d, "multikey", 0, "outcomes", 0, "links", 0)["key"] = "phone"
		}, "multikey[0].outcomes[0]: links[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := embeddedFile(t, tc.file)
			tc.edit(doc)
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, code := runPython(t, dir)
			var line string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, tc.file) {
					line = l
				}
			}
			if code != 1 || !strings.Contains(line, "FAILED: ") || !strings.Contains(line, tc.want) {
				t.Fatalf("replay.py exited %d on an edited %s, want FAILED with %q:\n%s", code, tc.file, tc.want, out)
			}
		})
	}
}
