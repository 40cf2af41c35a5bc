package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// checkFile writes a CSV of n rows; row(i) gives each row's cells after
// the header.
func checkFile(t *testing.T, header string, n int, row func(i int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	for i := range n {
		b.WriteString(row(i) + "\n")
	}
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCheckWarnings runs `blindjoin check` on files with each problem it
// warns about and asserts the warning's wording, its exit status, and that
// a clean file gets none.
func TestCheckWarnings(t *testing.T) {
	tcp := "1;3;4;7;9"
	clean := checkFile(t, "email,consent,segments", 1200, func(i int) string {
		return fmt.Sprintf("u%d@example.com,%s,%s", i, tcp, []string{"churn_risk", "high_value"}[i%2])
	})
	ouiNon := checkFile(t, "email,consent", 1200, func(i int) string { return fmt.Sprintf("u%d@example.com,%s", i, []string{"Oui", "Non"}[i%2]) })
	oddValues := checkFile(t, "email,consent", 1200, func(i int) string {
		return fmt.Sprintf("u%d@example.com,%s", i, []string{"Oui", "Non", "Peut-être"}[i%3])
	})
	nationalPhones := checkFile(t, "phone,consent", 1200, func(i int) string { return fmt.Sprintf("06 12 00 %02d %02d,%s", i/100, i%100, tcp) })
	badEmails := checkFile(t, "email,consent", 1200, func(i int) string {
		if i%5 == 0 {
			return "not-an-address," + tcp
		}
		return fmt.Sprintf("u%d@example.com,%s", i, tcp)
	})
	noLabels := checkFile(t, "email,consent,segments", 1200, func(i int) string { return fmt.Sprintf("u%d@example.com,%s,", i, tcp) })
	words := checkFile(t, "email,consent,segments", 1200, func(i int) string {
		return fmt.Sprintf("u%d@example.com,%s,%s", i, tcp, []string{"Nouveau client", "Fidèle"}[i%2])
	})
	// A wrong column picked as segments: one address per row, never quoted.
	addresses := checkFile(t, "email,consent,contact", 1200, func(i int) string {
		return fmt.Sprintf("u%d@example.com,%s,secret%d@example.com", i, tcp, i)
	})
	// ASCII header, Windows-1252 cells in a selected column.
	var latin strings.Builder
	latin.WriteString("email,consent,segments\n")
	for i := range 1200 {
		fmt.Fprintf(&latin, "u%d@example.com,%s,%s\n", i, tcp, []string{"churn_risk", "Fidèle"}[i%2])
	}
	cp, _ := charmap.Windows1252.NewEncoder().String(latin.String())
	latinFile := filepath.Join(t.TempDir(), "latin.csv")
	os.WriteFile(latinFile, []byte(cp), 0o600)
	small := checkFile(t, "email,consent", 20, func(i int) string { return fmt.Sprintf("u%d@example.com,%s", i, tcp) })

	for _, tc := range []struct {
		name string
		args []string
		want string // "" for no warning
	}{
		{"clean", []string{clean, "--id-column", "email", "--segments-column", "segments"}, ""},
		{"clean with the session's segments", []string{clean, "--id-column", "email", "--segments", "churn_risk,high_value"}, ""},
		{"first-party consent values", []string{ouiNon, "--id-column", "email"},
			"warning: 1,200 consent cells are neither TC strings nor purpose lists but first-party values (such as Oui/Non): map each value to the purposes it grants with --consent-map, e.g. --consent-map 'Oui=1;3;4;7;9,Non='"},
		{"values the mapping lacks", []string{oddValues, "--id-column", "email", "--consent-map", "Oui=1;3;4;7;9,Non="},
			"warning: 400 consent cells are not values of the consent mapping: those rows stay home; add their values to --consent-map"},
		{"national phones without a region", []string{nationalPhones, "--id-column", "phone", "--match-key", "phone"},
			"warning: 1,200 phones are not valid numbers; did you mean --region FR?"},
		{"a large group of invalid identifiers", []string{badEmails, "--id-column", "email"},
			"warning: 240 of 1,200 rows (20%) stay home: invalid email: missing '@'"},
		{"a segments column without labels", []string{noLabels, "--id-column", "email", "--segments-column", "segments"},
			`warning: the segments column "segments" holds no labels: no row would carry a segment (check --segments-column)`},
		{"labels none of the session's", []string{clean, "--id-column", "email", "--segments", "loyal"},
			"warning: no row that may count carries a segment of the session (loyal): every segment would be empty"},
		{"labels in words", []string{words, "--id-column", "email", "--segments-column", "segments"},
			`warning: 2 labels are not segment names (1..64 characters of A-Z a-z 0-9 _ . -): "Fidèle" (600 rows), "Nouveau client" (600 rows); --segment-names slug makes them fidele, nouveau_client, on session create --segments-from as on match`},
		{"a column of addresses as segments", []string{addresses, "--id-column", "email", "--segments-column", "contact"},
			"warning: at least 100 labels are not segment names and look like values of a person or identifiers, not groups (not shown): check --segments-column"},
		{"cells in another encoding", []string{latinFile, "--id-column", "email", "--segments-column", "segments"},
			"warning: the file does not look like UTF-8: try --encoding windows-1252"},
		{"too few rows", []string{small, "--id-column", "email"},
			"warning: 20 rows would be uploaded; the policy needs 1,000: match would refuse to start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runWithEnv(map[string]string{"LANG": "fr_FR.UTF-8"}, append([]string{"check"}, tc.args...)...)
			if tc.want == "" {
				if code != exitOK || errOut != "" {
					t.Fatalf("exit %d, stderr %q; want no warning", code, errOut)
				}
			} else if code != exitFail || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 1 and %q", code, errOut, tc.want)
			}
			if strings.Contains(out+errOut, "secret") {
				t.Errorf("a cell is quoted:\n%s%s", out, errOut)
			}
			if !strings.Contains(out, "nothing was sent") {
				t.Errorf("no summary: %q", out)
			}
		})
	}
}

// TestCheckSummary asserts what check reports of a file besides warnings:
// rows, per-key validity, consent breakdown, non-ASCII addresses,
// segments found, and that a wrong delimiter is named in the error.
func TestCheckSummary(t *testing.T) {
	file := checkFile(t, "email;consent;segments", 1200, func(i int) string {
		email := fmt.Sprintf("u%d@example.com", i)
		if i%100 == 0 {
			email = fmt.Sprintf("h\u00e9l\u00e8ne%d@example.com", i)
		}
		if i == 7 {
			email = "broken"
		}
		return fmt.Sprintf("%s;%s;%s", email, []string{"Oui", "Non", "Oui"}[i%3], []string{"churn_risk", "high_value"}[i%2])
	})
	out, errOut, code := runWithEnv(nil, "check", file, "--id-column", "email", "--segments-column", "segments", "--consent-map", "Oui=1;3;4;7;9,Non=")
	for _, want := range []string{
		"rows        1,200 read, 800 uploaded (blinded), 400 kept home",
		"email       1,199 valid, 1 invalid",
		"non-ASCII   12 e-mail addresses have non-ASCII characters",
		"consent     Oui 800, Non 399",
		"segments    found (rows that may count): churn_risk 400, high_value 400",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s%s", want, out, errOut)
		}
	}
	if code != exitFail || !strings.Contains(errOut, "match would refuse to start") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// The same rows from stdin and from a gzip file.
	data, _ := os.ReadFile(file)
	var stdout, stderr strings.Builder
	code = run([]string{"check", "-", "--id-column", "email", "--consent-map", "Oui=1;3;4;7;9,Non="}, stdio{in: strings.NewReader(string(data)), out: &stdout, err: &stderr, ctx: context.Background(), env: func(string) (string, bool) { return "", false }})
	if !strings.Contains(stdout.String(), "file        - (read as the advertiser") || !strings.Contains(stdout.String(), "1,200 read, 800 uploaded") {
		t.Errorf("check from stdin: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	gzFile := filepath.Join(t.TempDir(), "in.csv.gz")
	os.WriteFile(gzFile, gz.Bytes(), 0o600)
	if out, errOut, _ := runWithEnv(nil, "check", gzFile, "--id-column", "email", "--consent-map", "Oui=1;3;4;7;9,Non="); !strings.Contains(out, "1,200 read, 800 uploaded") {
		t.Errorf("check of a .gz file:\n%s%s", out, errOut)
	}
	_, errOut, code = runWithEnv(nil, "check", file, "--id-column", "email", "--delimiter", ",")
	if code != exitFail || !strings.Contains(errOut, `the file looks ;-separated: try --delimiter ';'`) {
		t.Errorf("forced wrong delimiter: exit %d, stderr %q", code, errOut)
	}
}

// TestCheckMultiKey: check takes match's key flags for a multi-key
// session and counts each key on its own (issue 12: check takes the same
// key flags as match).
func TestCheckMultiKey(t *testing.T) {
	in := checkFile(t, "email,phone,consent", 1200, func(i int) string {
		switch {
		case i%4 == 0: // no e-mail: the phone alone
			return fmt.Sprintf(",+3361234%04d,1;3;4;7;9", i)
		case i%4 == 1: // no phone
			return fmt.Sprintf("user%d@example.com,,1;3;4;7;9", i)
		}
		return fmt.Sprintf("user%d@example.com,+3361234%04d,1;3;4;7;9", i, i)
	})
	out, errOut, code := runCLI(t, "", "check", in, "--match-keys", "email,phone", "--key", "email=email", "--key", "phone=phone")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"email       900 valid, 0 invalid, 0 duplicates", "phone       900 valid, 0 invalid, 0 duplicates", "1,200 uploaded"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if _, errOut, code := runCLI(t, "", "check", in, "--match-keys", "email", "--key", "phone=phone"); code != exitFail || !strings.Contains(errOut, "does not match on") {
		t.Errorf("a column for a key the session lacks: exit %d, %s", code, errOut)
	}
}
