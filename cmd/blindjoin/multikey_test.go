package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/internal/cli"
	"github.com/blindjoin/blindjoin/internal/demo"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// multiKeyFiles writes an advertiser CRM and a partner audience whose
// people fall in the patterns of protocol/SPEC.md section 11, with the
// default floor's 1,000 rows and k = 50:
//
//   - 300 people with the same e-mail and phone on both sides, 5 of them
//     twice in the CRM (a duplicated row);
//   - 100 with a work e-mail at the advertiser and a personal one at the
//     partner, and the same phone (two personas);
//   - 100 with a phone only at the advertiser, e-mail and phone at the
//     partner;
//   - 60 with an e-mail and a MAID at the advertiser, the MAID only at the
//     partner;
//   - 60 households: one phone at the advertiser, on two partner rows;
//   - 20 advertiser rows whose phone cell is invalid (the e-mail stays),
//     and unmatched filler.
func multiKeyFiles(t *testing.T, dir string) (adv, partner string) {
	t.Helper()
	var a, p strings.Builder
	a.WriteString("email,phone,maid,consent,segments\n")
	p.WriteString("e,mobile,idfa,consent\n")
	const c = "1;3;4;7;9"
	phone := func(i int) string { return fmt.Sprintf("+3361%07d", i) }
	maid := func(i int) string { return fmt.Sprintf("6f1c2d3e-0000-4000-8000-%012d", i) }
	for i := range 300 {
		row := fmt.Sprintf("both%d@example.com,%s,,%s,loyal\n", i, phone(i), c)
		a.WriteString(row)
		if i < 5 {
			a.WriteString(row)
		}
		fmt.Fprintf(&p, "both%d@example.com,%s,,%s\n", i, phone(i), c)
	}
	for i := range 100 {
		fmt.Fprintf(&a, "work%d@corp.example,%s,,%s,\n", i, phone(100000+i), c)
		fmt.Fprintf(&p, "home%d@example.com,%s,,%s\n", i, phone(100000+i), c)
		fmt.Fprintf(&a, ",%s,,%s,\n", phone(200000+i), c)
		fmt.Fprintf(&p, "phoneonly%d@example.com,%s,,%s\n", i, phone(200000+i), c)
	}
	for i := range 60 {
		fmt.Fprintf(&a, "app%d@example.com,,%s,%s,loyal\n", i, maid(i), c)
		fmt.Fprintf(&p, ",,%s,%s\n", maid(i), c)
		fmt.Fprintf(&a, ",%s,,%s,\n", phone(300000+i), c)
		fmt.Fprintf(&p, ",%s,,%s\n,%s,,%s\n", phone(300000+i), c, phone(300000+i), c)
	}
	for i := range 20 {
		fmt.Fprintf(&a, "badphone%d@example.com,not-a-phone,,%s,\n", i, c)
	}
	for i := range 500 {
		fmt.Fprintf(&a, "crmonly%d@example.com,,,%s,\n", i, c)
		fmt.Fprintf(&p, ",,%s,%s\n", maid(100000+i), c)
	}
	return writePartyFiles(t, dir, "crm.csv", a.String(), "audience.csv", p.String())
}

// writePartyFiles writes both parties' files into dir and returns their
// paths.
func writePartyFiles(t *testing.T, dir, advName, adv, partnerName, partner string) (string, string) {
	t.Helper()
	advPath, partnerPath := filepath.Join(dir, advName), filepath.Join(dir, partnerName)
	for path, data := range map[string]string{advPath: adv, partnerPath: partner} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return advPath, partnerPath
}

// TestMultiKeyCLI runs three-key sessions through the CLI against a real
// clean room, under each duplicates and conflicts setting, and checks the
// waterfall the patterns of multiKeyFiles fix.
func TestMultiKeyCLI(t *testing.T) {
	e := newRoomWithParties(t)
	advCSV, partnerCSV := multiKeyFiles(t, e.dir)
	for _, tc := range []struct {
		policy    string
		waterfall string // human output
		byKey     []int64
	}{
		// The work/personal pairs stay apart; the household phone stays
		// on its first partner row.
		{`{}`, "email 300 · then phone +160 · then maid +60", []int64{300, 160, 60}},
		// Plain waterfall: the shared phone links the two personas.
		{`{"conflicts": "ignore"}`, "email 300 · then phone +260 · then maid +60", []int64{300, 260, 60}},
		// The household phone links nobody; the 5 duplicated CRM people
		// lose their e-mail and phone on both rows.
		{`{"duplicates": "drop"}`, "email 295 · then phone +100 · then maid +60", []int64{295, 100, 60}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			dir := t.TempDir()
			polFile := filepath.Join(dir, "policy.json")
			os.WriteFile(polFile, []byte(tc.policy), 0o600)
			id := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-keys", "email,phone,maid",
				"--policy", polFile, "--segments", "loyal"))
			if out := e.mustRun(t, e.partner, "session", "join", id, "--yes"); !strings.Contains(out, "email, then phone, then maid") {
				t.Errorf("join does not show the key order:\n%s", out)
			}
			advOut, partnerOut := filepath.Join(dir, "adv"), filepath.Join(dir, "pub")
			var wg sync.WaitGroup
			var advText, advErr, partnerErr string
			var advCode, partnerCode int
			wg.Go(func() {
				advText, advErr, advCode = e.as(t.Context(), e.adv, "match", id, "--in", advCSV, "--key", "email=email", "--key", "phone=phone",
					"--key", "maid=maid", "--segments-column", "segments", "--out", advOut, "--key-dir", filepath.Join(dir, "k1"), "--poll", "50ms")
			})
			wg.Go(func() {
				_, partnerErr, partnerCode = e.as(t.Context(), e.partner, "match", id, "--in", partnerCSV, "--key", "email=e", "--key", "phone=mobile",
					"--key", "maid=idfa", "--out", partnerOut, "--key-dir", filepath.Join(dir, "k2"), "--poll", "50ms")
			})
			wg.Wait()
			if advCode != exitOK || partnerCode != exitOK {
				t.Fatalf("match: advertiser exit %d (%s), partner exit %d (%s)", advCode, advErr, partnerCode, partnerErr)
			}
			if !strings.Contains(advText, tc.waterfall) {
				t.Errorf("match output lacks %q:\n%s", tc.waterfall, advText)
			}
			var res resultsOutput
			if err := json.Unmarshal([]byte(e.mustRun(t, e.partner, "results", id, "--json")), &res); err != nil {
				t.Fatal(err)
			}
			want := []api.KeyPairs{{Key: "email", Pairs: tc.byKey[0]}, {Key: "phone", Pairs: tc.byKey[1]}, {Key: "maid", Pairs: tc.byKey[2]}}
			if !slices.Equal(res.OverlapByKey, want) || res.Overlap == nil || *res.Overlap != tc.byKey[0]+tc.byKey[1]+tc.byKey[2] {
				t.Errorf("results: overlap %v, overlap_by_key %v, want %v", res.Overlap, res.OverlapByKey, want)
			}
			var sum flow.Summary
			data, _ := os.ReadFile(filepath.Join(advOut, "summary.json"))
			if err := json.Unmarshal(data, &sum); err != nil || len(sum.Keys) != 3 {
				t.Fatalf("summary.json keys: %v %+v", err, sum.Keys)
			}
			phone := sum.Keys[1]
			var invalid int64
			for reason, n := range phone.Invalid {
				if strings.HasPrefix(reason, "invalid phone") {
					invalid += n
				}
			}
			// The 5 duplicated CRM rows lose their phone: to the first row
			// ("first"), or on both rows ("drop").
			dups := int64(5)
			if strings.Contains(tc.policy, "drop") {
				dups = 10
			}
			if invalid != 20 || phone.Duplicates != dups || phone.Linked == nil || *phone.Linked != tc.byKey[1] {
				t.Errorf("summary.json phone counts %+v, want 20 invalid, %d duplicates, %d linked", phone, dups, tc.byKey[1])
			}
		})
	}
}

// TestHashedArgs: --hashed alone keeps meaning the one identifier column;
// followed by a list of keys it names the pre-hashed key columns.
func TestHashedArgs(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"ID", "--hashed", "--out", "d"}, []string{"ID", "--hashed=*", "--out", "d"}},
		{[]string{"ID", "--hashed"}, []string{"ID", "--hashed=*"}},
		{[]string{"ID", "--hashed", "email,phone", "--out", "d"}, []string{"ID", "--hashed=email,phone", "--out", "d"}},
		{[]string{"ID", "-hashed", "maid"}, []string{"ID", "--hashed=maid"}},
		{[]string{"ID", "--hashed", "fax"}, []string{"ID", "--hashed=*", "fax"}},
		{[]string{"ID", "--hashed=phone"}, []string{"ID", "--hashed=phone"}},
		{[]string{"--", "--hashed", "email"}, []string{"--", "--hashed", "email"}},
	} {
		if got := cli.HashedArgs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("cli.HashedArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMultiKeyCLIHashed: a partner whose e-mail column holds SHA-256
// digests of the normalized addresses (--hashed email) finds the same
// people as with the addresses.
func TestMultiKeyCLIHashed(t *testing.T) {
	e := newRoomWithParties(t)
	advCSV, partnerCSV := multiKeyFiles(t, e.dir)
	data, err := os.ReadFile(partnerCSV)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i := 1; i < len(lines); i++ {
		cells := strings.Split(lines[i], ",")
		if cells[0] != "" {
			sum := sha256.Sum256([]byte(cells[0]))
			cells[0] = hex.EncodeToString(sum[:])
		}
		lines[i] = strings.Join(cells, ",")
	}
	hashed := filepath.Join(e.dir, "audience-hashed.csv")
	os.WriteFile(hashed, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	id := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-keys", "email,phone,maid", "--segments", "loyal"))
	e.mustRun(t, e.partner, "session", "join", id, "--yes")
	dir := t.TempDir()
	var wg sync.WaitGroup
	var advErr, partnerErr string
	var advCode, partnerCode int
	wg.Go(func() {
		_, advErr, advCode = e.as(t.Context(), e.adv, "match", id, "--in", advCSV, "--key", "email=email", "--key", "phone=phone",
			"--key", "maid=maid", "--segments-column", "segments", "--out", filepath.Join(dir, "a"), "--key-dir", filepath.Join(dir, "k1"), "--poll", "50ms")
	})
	wg.Go(func() {
		_, partnerErr, partnerCode = e.as(t.Context(), e.partner, "match", id, "--in", hashed, "--key", "email=e", "--key", "phone=mobile",
			"--key", "maid=idfa", "--hashed", "email", "--out", filepath.Join(dir, "p"), "--key-dir", filepath.Join(dir, "k2"), "--poll", "50ms")
	})
	wg.Wait()
	if advCode != exitOK || partnerCode != exitOK {
		t.Fatalf("match: advertiser exit %d (%s), partner exit %d (%s)", advCode, advErr, partnerCode, partnerErr)
	}
	if text := e.mustRun(t, e.partner, "results", id); !strings.Contains(text, "email 300 · then phone +160 · then maid +60") {
		t.Errorf("results:\n%s", text)
	}
}

// TestMultiKeyCLIRefusals: a column for a key the session does not match
// on, and one identifier column for a multi-key session, are errors that
// say what to do; --match-key and --match-keys together are a usage error.
func TestMultiKeyCLIRefusals(t *testing.T) {
	e := newRoomWithParties(t)
	advCSV, _ := multiKeyFiles(t, e.dir)
	if _, errOut, code := e.as(t.Context(), e.adv, "session", "create", "--partner", "news", "--match-key", "email", "--match-keys", "email,phone"); code != exitUsage || !strings.Contains(errOut, "not both") {
		t.Errorf("both key flags: exit %d, %q", code, errOut)
	}
	if _, errOut, code := e.as(t.Context(), e.adv, "session", "create", "--partner", "news", "--match-keys", "email,fax"); code != exitUsage || !strings.Contains(errOut, "match_keys[1]") {
		t.Errorf("unknown key: exit %d, %q", code, errOut)
	}
	one := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email"))
	multi := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-keys", "email,phone"))
	for _, tc := range []struct {
		id   string
		cols []string
		want string
	}{
		{one, []string{"--key", "email=email", "--key", "phone=phone"}, "phone, which the session does not match on"},
		{multi, []string{"--key", "maid=maid"}, "maid, which the session does not match on"},
		{multi, []string{"--id-column", "email"}, "--key email=COLUMN"},
		{multi, []string{"--key", "email=email", "--hashed", "phone"}, "--hashed names phone"},
	} {
		args := append([]string{"match", tc.id, "--in", advCSV, "--segments-column", "segments", "--out", filepath.Join(t.TempDir(), "o"),
			"--key-dir", t.TempDir()}, tc.cols...)
		if _, errOut, code := e.as(t.Context(), e.adv, args...); code != exitFail || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.cols, code, errOut, tc.want)
		}
	}
}

// TestDemoKeys runs `blindjoin demo --keys email,phone,maid`: a three-key
// session over the keyed synthetic audiences, every figure checked against
// synth.ComputeKeyedTruth, and the waterfall shown.
func TestDemoKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole multi-key demo, 20k x 20k rows")
	}
	dir := filepath.Join(t.TempDir(), "kept")
	out, errOut, code := runCLI(t, "", "demo", "--keys", "email,phone,maid", "--json", "--keep", dir)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var rep demo.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Verified || len(rep.Verification.Checked) < 10 {
		t.Errorf("not verified: %+v", rep.Verification)
	}
	rounds := rep.Advertiser.OverlapByKey
	if len(rounds) != 3 || rounds[0].Key != "email" || rounds[1].Pairs == 0 || rounds[2].Pairs == 0 {
		t.Errorf("overlap_by_key %v: every round should link someone", rounds)
	}
	if len(rep.Advertiser.Keys) != 3 || rep.Advertiser.Keys[0].Duplicates == 0 {
		t.Errorf("per-key counts %+v: the CRM has duplicated rows", rep.Advertiser.Keys)
	}
	if _, _, code := runCLI(t, "", "demo", "--keys", "email"); code != exitUsage {
		t.Errorf("--keys with one key: exit %d, want a usage error", code)
	}
}
