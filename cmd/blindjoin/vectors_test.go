package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/testvectors"
)

func runVectors(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"vectors", "verify"}, args...), stdio{in: strings.NewReader(""), out: &out, err: &errOut})
	return out.String(), errOut.String(), code
}

func TestVectorsVerifyBuiltIn(t *testing.T) {
	out, _, code := runVectors(t)
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[4], "total: 4 files, 123 vectors checked, all ok") {
		t.Fatalf("output:\n%s", out)
	}
	for i, name := range []string{"encodings.json", "intersection.json", "multikey.json", "records.json"} {
		if !strings.HasPrefix(lines[i], name) || !strings.HasSuffix(lines[i], " ok") {
			t.Errorf("line %d = %q", i, lines[i])
		}
	}
}

// copyVectors writes the built-in vector files to a new directory, with
// edit applied to the text of file.
func copyVectors(t *testing.T, file string, edit func(string) string) string {
	t.Helper()
	dir := t.TempDir()
	names, err := fs.Glob(testvectors.Embedded(), "*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		data, err := fs.ReadFile(testvectors.Embedded(), name)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if name == file {
			if text = edit(text); text == string(data) {
				t.Fatalf("edit left %s unchanged", file)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestVectorsVerifyDir(t *testing.T) {
	dir := copyVectors(t, "", nil)
	if out, _, code := runVectors(t, dir); code != exitOK || !strings.Contains(out, "all ok") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestVectorsVerifyTampered(t *testing.T) {
	tests := []struct {
		name, file string
		edit       func(string) string
		want       string // in the FAILED line
	}{
		{"hex digit in blinded_ab", "records.json", func(s string) string {
			i := strings.Index(s, `"blinded_ab": "`) + len(`"blinded_ab": "`)
			digit := "0"
			if s[i] == '0' {
				digit = "1"
			}
			return s[:i] + digit + s[i+1:]
		}, "records[0]: blinded_ab"},
		{"unknown key", "encodings.json", func(s string) string {
			return strings.Replace(s, `"valid": true`, `"valid": true, "strict": false`, 1)
		}, `unknown field "strict"`},
		{"overlap removed", "intersection.json", func(s string) string {
			return strings.Replace(s, ",\n      \"overlap\": 4", "", 1)
		}, "intersections[0]: overlap: missing"},
		{"join_digest removed", "records.json", func(s string) string {
			i := strings.Index(s, `,
      "join_digest"`)
			j := i + strings.Index(s[i:], "\n    }")
			return s[:i] + s[j:]
		}, "records[0]: join_digest: missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyVectors(t, tc.file, tc.edit)
			out, _, code := runVectors(t, dir)
			if code != exitFail {
				t.Fatalf("exit %d, want %d:\n%s", code, exitFail, out)
			}
			var failed string
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, tc.file) {
					failed = line
				} else if strings.Contains(line, "FAILED:") {
					t.Errorf("an untouched file failed: %s", line)
				}
			}
			if !strings.Contains(failed, "FAILED: ") || !strings.Contains(failed, tc.want) {
				t.Errorf("line for %s = %q, want FAILED with %q", tc.file, failed, tc.want)
			}
			if !strings.Contains(out, "total: 4 files, ") || !strings.Contains(out, "1 files FAILED") {
				t.Errorf("total line missing:\n%s", out)
			}
		})
	}
}

func TestVectorsVerifyBadArguments(t *testing.T) {
	if _, _, code := runVectors(t, "a", "b"); code != exitUsage {
		t.Errorf("two directories: exit %d", code)
	}
	if _, _, code := runVectors(t, "--bogus"); code != exitUsage {
		t.Errorf("unknown flag: exit %d", code)
	}
	if _, errOut, code := runVectors(t, filepath.Join(t.TempDir(), "missing")); code != exitFail || errOut == "" {
		t.Errorf("missing directory: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := runVectors(t, t.TempDir()); code != exitFail || !strings.Contains(errOut, "no *.json") {
		t.Errorf("empty directory: exit %d, stderr %q", code, errOut)
	}
	unreadable := copyVectors(t, "", nil)
	if err := os.Mkdir(filepath.Join(unreadable, "broken.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, _, code := runVectors(t, unreadable); code != exitFail || !strings.Contains(out, "broken.json") {
		t.Errorf("unreadable file: exit %d:\n%s", code, out)
	}
}
