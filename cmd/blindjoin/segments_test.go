package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 9, item 5: identifiers and digests must not become segment names,
// neither through --segments-from nor through a request sent directly.
func TestSegmentNamesRefuseIdentifiers(t *testing.T) {
	e := newRoomWithParties(t)
	var csv strings.Builder
	csv.WriteString("email,email_sha256,segments\n")
	var firstDigest string
	for i := range 20 {
		email := fmt.Sprintf("user%d@example.com", i)
		sum := sha256.Sum256([]byte(email))
		if i == 0 {
			firstDigest = hex.EncodeToString(sum[:])
		}
		fmt.Fprintf(&csv, "%s,%s,c%d\n", email, hex.EncodeToString(sum[:]), 1000+i)
	}
	hashed := filepath.Join(e.dir, "hashed.csv")
	if err := os.WriteFile(hashed, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	create := []string{"session", "create", "--partner", "news", "--match-key", "email"}

	for _, tc := range []struct {
		name  string
		args  []string
		want  string
		quote string // must not appear in the output
	}{
		{"digests from a file", []string{"--segments-from", hashed, "--segments-column", "email_sha256"},
			"each of the 20 labelled rows has a label of its own", firstDigest},
		{"one label per row", []string{"--segments-from", hashed, "--segments-column", "segments"},
			"each of the 20 labelled rows has a label of its own", "c1000"},
		{"digest sent to the clean room", []string{"--segments", "churn_risk," + firstDigest},
			"refused (bad_request): invalid segments[1]: looks like an identifier or a digest (a long hex string)", firstDigest},
		{"phone number sent to the clean room", []string{"--segments", "33612345678"},
			"refused (bad_request): invalid segments[0]: looks like an identifier or a digest (a phone number or a numeric id)", "33612345678"},
		{"identifier in the policy", []string{"--segments", "churn_risk", "--policy", writePolicy(t, e.dir, `{"activation_segments": ["6ba7b810-9dad-11d1-80b4-00c04fd430c8"]}`)},
			"activation_segments[0]: looks like an identifier or a digest (a UUID)", "6ba7b810"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := e.as(context.Background(), e.adv, append(create, tc.args...)...)
			if code != exitFail || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errOut, exitFail, tc.want)
			}
			if strings.Contains(out+errOut, tc.quote) {
				t.Errorf("the output quotes a label: %s%s", out, errOut)
			}
		})
	}
	if out := e.mustRun(t, e.adv, "session", "list"); !strings.Contains(out, "no sessions") {
		t.Errorf("a refused session was created: %s", out)
	}
	// Names that say what a segment means still pass.
	if out := e.mustRun(t, e.adv, append(create, "--segments", "churn_risk,new_customers,high_value_2024")...); len(strings.TrimSpace(out)) != 32 {
		t.Errorf("session create with good names printed %q", out)
	}
}

func writePolicy(t *testing.T, dir, doc string) string {
	t.Helper()
	path := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
