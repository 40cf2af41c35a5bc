package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// runCLI runs the CLI in-process and returns stdout, stderr and the status.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, stdio{in: strings.NewReader(stdin), out: &out, err: &errOut})
	return out.String(), errOut.String(), code
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		objs = append(objs, m)
	}
	return objs
}

func TestHashKeepsGoingAfterBadLines(t *testing.T) {
	out, _, code := runCLI(t, "User@Example.com\r\nbad@@example.com\n\n+33612345678", "hash", "--type", "email")
	if code != exitOK {
		t.Fatalf("exit %d, want 0", code)
	}
	objs := jsonLines(t, out)
	if len(objs) != 4 {
		t.Fatalf("got %d objects, want one per input line (4): %s", len(objs), out)
	}
	if objs[0]["sha256"] != "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514" {
		t.Errorf("user@example.com hashed to %v", objs[0]["sha256"])
	}
	for i := 1; i < 4; i++ {
		if _, ok := objs[i]["error"]; !ok {
			t.Errorf("line %d: want an error object, got %v", i+1, objs[i])
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"hash"},
		{"hash", "--type", "fax"},
		{"hash", "--type", "phone", "--region", "XX"},
		{"no-such-command"},
		{"hash", "--no-such-flag"},
	} {
		if _, _, code := runCLI(t, "", args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestConsentDecode(t *testing.T) {
	// Encoded by @iabtcf/core (partner/consent/tcf/testdata); CMP id 10.
	const valid = "CP_h-0AQBzAEAAKACBENABEAAAAAAAAAAAAAAAAAAAAA.IAFP_AAA"
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"arguments", "", []string{"consent", "decode", valid, "not-a-tc-string"}},
		{"stdin", valid + "\nnot-a-tc-string\n", []string{"consent", "decode"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, code := runCLI(t, tc.stdin, tc.args...)
			if code != exitOK {
				t.Fatalf("exit %d", code)
			}
			objs := jsonLines(t, out)
			if len(objs) != 2 {
				t.Fatalf("want 2 objects, got %s", out)
			}
			if objs[0]["version"] != float64(2) || objs[0]["cmp_id"] != float64(10) {
				t.Errorf("first object: %v", objs[0])
			}
			if msg, _ := objs[1]["error"].(string); msg == "" || strings.Contains(msg, "not-a-tc-string") {
				t.Errorf("second object must be an error that does not echo the input: %v", objs[1])
			}
		})
	}
}
