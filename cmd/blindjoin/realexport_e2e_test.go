package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/protocol/api"
	"golang.org/x/text/encoding/charmap"
)

// The files of issue 12, as a French retailer's CRM and a publisher
// export them: the retailer's through Excel (Windows-1252, ';'-separated,
// French headers, Oui/Non consent, national and overseas phone numbers,
// labels in words), the publisher's as UTF-8 with CRLF line ends,
// international numbers with spaces and e-mail addresses in decomposed
// Unicode.
const (
	frenchRows    = 1500 // the retailer's rows
	frenchShared  = 800  // the first rows of each file are the same people
	frenchPartner = 1500 // the publisher's rows
)

// frenchEmail is row i's address: every tenth is written with accents,
// composed (NFC) in the retailer's file, decomposed (NFD) in the
// publisher's.
func frenchEmail(i int, decomposed bool) string {
	if i%10 != 0 {
		return fmt.Sprintf("client%d@exemple.fr", i)
	}
	if decomposed {
		return fmt.Sprintf("he\u0301le\u0300ne%d@orange.fr", i)
	}
	return fmt.Sprintf("h\u00e9l\u00e8ne%d@orange.fr", i)
}

// frenchPhone is row i's number, as written nationally (the retailer) or
// internationally with spaces (the publisher); every tenth is a
// Guadeloupe mobile, dialled 0690 from Paris but +590.
func frenchPhone(i int, international bool) string {
	switch {
	case i%10 == 5 && international:
		return fmt.Sprintf("+590 690 12 %02d %02d", i/100, i%100)
	case i%10 == 5:
		return fmt.Sprintf("0690 12 %02d %02d", i/100, i%100)
	case international:
		return fmt.Sprintf("+33 6 12 00 %02d %02d", i/100, i%100)
	}
	return fmt.Sprintf("06 12 00 %02d %02d", i/100, i%100)
}

// frenchConsents: every fourth customer said Non.
func frenchConsent(i int) string {
	if i%4 == 3 {
		return "Non"
	}
	return "Oui"
}

func frenchLabels(i int) string {
	return [...]string{"Fidèle", "Nouveau client", `"Fidèle;Nouveau client"`}[i%3]
}

// writeFrenchCRM writes the retailer's export in Windows-1252.
func writeFrenchCRM(t *testing.T, path string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("Email;Téléphone;Segment;Consentement\r\n")
	for i := range frenchRows {
		fmt.Fprintf(&b, "%s;%s;%s;%s\r\n", frenchEmail(i, false), frenchPhone(i, false), frenchLabels(i), frenchConsent(i))
	}
	data, err := charmap.Windows1252.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// writePublisher writes the publisher's UTF-8, CRLF export.
func writePublisher(t *testing.T, path string) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("user_email,phone,user_id,consent\r\n")
	for j := range frenchPartner {
		email, phone := fmt.Sprintf("autre%d@exemple.com", j), fmt.Sprintf("+33 6 13 00 %02d %02d", j/100, j%100)
		if j < frenchShared {
			email, phone = frenchEmail(j, true), frenchPhone(j, true)
		}
		fmt.Fprintf(&b, "%s,%s,u%d,1;3;4;7;9\r\n", email, phone, j)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// frenchTruth is what the clean room should count: the shared people
// whose retailer row says Oui, and those of them in each segment.
func frenchTruth() (overlap, fidele, nouveau int64) {
	for i := range frenchShared {
		if frenchConsent(i) != "Oui" {
			continue
		}
		overlap++
		if i%3 != 1 {
			fidele++
		}
		if i%3 != 0 {
			nouveau++
		}
	}
	return overlap, fidele, nouveau
}

// runWithEnv runs the CLI in-process with the environment env and
// nothing else.
func runWithEnv(env map[string]string, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	code := run(args, stdio{in: strings.NewReader(""), out: &out, err: &errOut, ctx: context.Background(), env: lookup})
	return out.String(), errOut.String(), code
}

func readSummary(t *testing.T, dir string) flow.Summary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s flow.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// nothingUploaded fails unless session id holds no part of either party.
func nothingUploaded(t *testing.T, e *e2e, id string) {
	t.Helper()
	var s api.Session
	if err := json.Unmarshal([]byte(e.mustRun(t, e.adv, "session", "show", id, "--json")), &s); err != nil {
		t.Fatal(err)
	}
	if s.Uploads.Advertiser.BlindedParts != 0 || s.Uploads.MediaPartner.BlindedParts != 0 {
		t.Errorf("a refused match uploaded parts: %+v", s.Uploads)
	}
}

// TestFrenchExportEmail runs the e-mail session through the real
// CLI and a real clean room: the Windows-1252 ';' file with Oui/Non
// consent and labels in words against a UTF-8 file in decomposed Unicode.
func TestFrenchExportEmail(t *testing.T) {
	e := newRoomWithParties(t)
	crm, pub := filepath.Join(e.dir, "crm.csv"), filepath.Join(e.dir, "audience.csv")
	writeFrenchCRM(t, crm)
	writePublisher(t, pub)
	format := []string{"--encoding", "windows-1252", "--segments-column", "Segment"}

	// Labels in words are refused all at once, by label, with the fix.
	_, errOut, code := e.as(context.Background(), e.adv, append([]string{"session", "create", "--partner", "news", "--match-key", "email", "--segments-from", crm}, format...)...)
	if code != exitFail || !strings.Contains(errOut, `2 labels are not segment names (1..64 characters of A-Z a-z 0-9 _ . -): "Fidèle", "Nouveau client"; --segment-names slug makes them fidele, nouveau_client`) {
		t.Fatalf("labels in words: exit %d, stderr %q", code, errOut)
	}
	// Without --encoding the header is not UTF-8: the error says which
	// encoding it looks like.
	_, errOut, code = e.as(context.Background(), e.adv, "session", "create", "--partner", "news", "--match-key", "email", "--segments-from", crm, "--segments-column", "Segment")
	if code != exitFail || !strings.Contains(errOut, "crm.csv: csvin: malformed header row (line 1): invalid UTF-8; the file does not look like UTF-8: try --encoding windows-1252") {
		t.Fatalf("no --encoding: exit %d, stderr %q", code, errOut)
	}
	id := strings.TrimSpace(e.mustRun(t, e.adv, append([]string{"session", "create", "--partner", "news", "--match-key", "email", "--segments-from", crm, "--segment-names", "slug"}, format...)...))
	var s api.Session
	json.Unmarshal([]byte(e.mustRun(t, e.adv, "session", "show", id, "--json")), &s)
	if strings.Join(s.Segments, ",") != "fidele,nouveau_client" {
		t.Fatalf("segments %v, want fidele, nouveau_client", s.Segments)
	}

	keys, advOut, pubOut := filepath.Join(e.dir, "keys"), filepath.Join(e.dir, "adv"), filepath.Join(e.dir, "pub")
	adv := []string{"match", id, "--in", crm, "--encoding", "windows-1252", "--id-column", "Email", "--consent-column", "Consentement",
		"--consent-map", "Oui=1;3;4;7;9,Non=", "--out", advOut, "--key-dir", filepath.Join(keys, "adv"), "--poll", "50ms"}

	// Forgetting --segments-column: the default "segments" is not in the
	// file, and the error lists the header (stderr is not a terminal here:
	// it counts the columns instead) before anything is uploaded.
	_, errOut, code = e.as(context.Background(), e.adv, append(adv, "--segment-names", "slug")...)
	if code != exitFail || !strings.Contains(errOut, `column not found in header: "segments" (header has 4 columns`) {
		t.Fatalf("no --segments-column: exit %d, stderr %q", code, errOut)
	}
	// A segments column that yields none of the session's segments (the
	// labels as written are not its names): refused, nothing uploaded.
	_, errOut, code = e.as(context.Background(), e.adv, append(adv, "--segments-column", "Segment")...)
	if code != exitFail || !strings.Contains(errOut, `the input yields none of the session's segments: the session's segments are fidele, nouveau_client, and no row that may count carries one in column "Segment"`) ||
		!strings.Contains(errOut, "--no-segments") || !strings.Contains(errOut, `warning: 2 labels are not segment names`) {
		t.Fatalf("no segment found: exit %d, stderr %q", code, errOut)
	}
	nothingUploaded(t, e, id)

	adv = append(adv, "--segments-column", "Segment", "--segment-names", "slug")
	pubArgs := []string{"match", id, "--in", pub, "--id-column", "user_email", "--out", pubOut, "--key-dir", filepath.Join(keys, "pub"), "--poll", "50ms", "--yes", "--activation-columns", "user_id,phone"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan [3]any, 1)
	go func() {
		out, errOut, code := e.as(ctx, e.adv, adv...)
		done <- [3]any{out, errOut, code}
	}()
	out, errOut, code := e.as(ctx, e.partner, pubArgs...)
	advRes := <-done
	if code != exitOK || !strings.Contains(errOut, "accepting the policy of session "+id+" as it is (--yes)") {
		t.Fatalf("publisher match --yes: exit %d\n%s%s\nretailer: %s%s", code, out, errOut, advRes[0], advRes[1])
	}
	if advRes[2] != exitOK {
		t.Fatalf("retailer match: exit %d\n%s%s", advRes[2], advRes[0], advRes[1])
	}
	overlap, fidele, nouveau := frenchTruth()
	sum := readSummary(t, advOut)
	if sum.Overlap == nil || *sum.Overlap != overlap {
		t.Errorf("overlap %v, want %d (decomposed and composed addresses are the same people)", sum.Overlap, overlap)
	}
	if sum.Segments["fidele"] == nil || *sum.Segments["fidele"] != fidele || sum.Segments["nouveau_client"] == nil || *sum.Segments["nouveau_client"] != nouveau {
		t.Errorf("segments %v, want fidele %d, nouveau_client %d", sum.Segments, fidele, nouveau)
	}
	if sum.NonASCIIEmails != frenchRows/10 || sum.Consent["Oui"] != frenchRows*3/4 || sum.Consent["Non"] != frenchRows/4 {
		t.Errorf("summary: non-ASCII %d, consent %v; want %d, Oui %d, Non %d", sum.NonASCIIEmails, sum.Consent, frenchRows/10, frenchRows*3/4, frenchRows/4)
	}
	ps := readSummary(t, pubOut)
	if ps.NonASCIIEmails != frenchShared/10 {
		t.Errorf("publisher's non-ASCII count %d, want %d", ps.NonASCIIEmails, frenchShared/10)
	}
	checkActivationColumns(t, filepath.Join(pubOut, "activation.csv"), ps)
}

// checkActivationColumns reads the publisher's activation.csv: its own
// user_id and phone cells next to each row, 0600.
func checkActivationColumns(t *testing.T, path string, s flow.Summary) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("activation.csv: %v, mode %v; want 0600", err, fi)
	}
	f, _ := os.Open(path)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 || strings.Join(recs[0], ",") != "row,user_id,phone,segments" {
		t.Fatalf("activation.csv: %v, header %v", err, recs[:min(1, len(recs))])
	}
	if s.ActivationRows == nil || int64(len(recs)-1) != *s.ActivationRows {
		t.Errorf("activation.csv has %d rows, the summary says %v", len(recs)-1, s.ActivationRows)
	}
	for _, rec := range recs[1:] {
		row, _ := strconv.Atoi(rec[0])
		if rec[1] != fmt.Sprintf("u%d", row-1) || rec[2] != frenchPhone(row-1, true) {
			t.Fatalf("row %d: user_id %q, phone %q; want u%d and its phone", row, rec[1], rec[2], row-1)
		}
	}
}

// TestFrenchExportPhone matches the retailer's national and overseas
// numbers (--region FR) with the publisher's international numbers written
// with spaces, read through stdin and gzip.
func TestFrenchExportPhone(t *testing.T) {
	e := newRoomWithParties(t)
	crm, pub := filepath.Join(e.dir, "crm.csv"), filepath.Join(e.dir, "audience.csv")
	writeFrenchCRM(t, crm)
	writePublisher(t, pub)
	id := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "phone"))
	// session join ends with the next command, as session create does.
	if _, errOut, code := e.as(context.Background(), e.partner, "session", "join", id, "--yes"); code != exitOK || !strings.Contains(errOut, "next: run your side with `blindjoin match "+id+" --in FILE --id-column COL --out DIR`; acme runs its own") {
		t.Fatalf("session join: exit %d, stderr %q", code, errOut)
	}

	keys, advOut, pubOut := filepath.Join(e.dir, "keys"), filepath.Join(e.dir, "adv"), filepath.Join(e.dir, "pub")
	adv := []string{"match", id, "--in", crm, "--encoding", "cp1252", "--delimiter", ";", "--id-column", "Téléphone", "--consent-column", "Consentement",
		"--consent-map", "Oui=1;3;4;7;9,Non=", "--out", advOut, "--key-dir", filepath.Join(keys, "adv"), "--poll", "50ms"}

	// Without --region, every national number stays home, and check says
	// which region would read them (the locale breaks ties between the
	// regions whose plans read them alike).
	_, errOut, code := runWithEnv(map[string]string{"LANG": "fr_FR.UTF-8"}, "check", crm, "--encoding", "cp1252", "--match-key", "phone",
		"--id-column", "Téléphone", "--consent-column", "Consentement", "--consent-map", "Oui=1;3;4;7;9,Non=")
	if code != exitFail || !strings.Contains(errOut, "warning: 1,500 phones are not valid numbers; did you mean --region FR?") {
		t.Fatalf("check without --region: exit %d, stderr %q", code, errOut)
	}

	adv = append(adv, "--region", "FR")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan [3]any, 1)
	go func() {
		out, errOut, code := e.as(ctx, e.adv, adv...)
		done <- [3]any{out, errOut, code}
	}()
	out, errOut, code := e.as(ctx, e.partner, "match", id, "--in", pub, "--id-column", "phone", "--out", pubOut, "--key-dir", filepath.Join(keys, "pub"), "--poll", "50ms")
	if code != exitOK {
		t.Fatalf("publisher: exit %d\n%s%s", code, out, errOut)
	}
	if res := <-done; res[2] != exitOK {
		t.Fatalf("retailer: exit %d\n%s%s", res[2], res[0], res[1])
	}
	overlap, _, _ := frenchTruth()
	if sum := readSummary(t, advOut); sum.Overlap == nil || *sum.Overlap != overlap || sum.Rows.Uploaded != frenchRows*3/4 {
		t.Errorf("overlap %v, uploaded %d; want %d and 3/4 of the rows (overseas numbers read as +590, spaced international numbers accepted)", sum.Overlap, sum.Rows.Uploaded, overlap)
	}
	if sum := readSummary(t, pubOut); sum.Rows.Uploaded != frenchPartner {
		t.Errorf("publisher uploaded %d of %d rows: %v", sum.Rows.Uploaded, frenchPartner, sum.Rejected)
	}
}
