package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/keystore"
)

// splitParty is one party of a match split among workers: the plan's
// directory and key store, and each worker's machine, which has only the
// manifest, its bucket file and a copy of the key.
type splitParty struct {
	key               string // API key
	planDir, planKeys string
	workerDirs        []string
	workerKeys        []string
}

// planSplit runs `match ID --plan --workers w` with the row flags args and
// ships each worker its files and key, as an operator copies them to other
// machines.
func planSplit(t *testing.T, e *e2e, apiKey, id, name string, w int, args ...string) *splitParty {
	t.Helper()
	p := &splitParty{key: apiKey, planDir: filepath.Join(e.dir, name+"-plan"), planKeys: filepath.Join(e.dir, name+"-keys")}
	out := e.mustRun(t, apiKey, append([]string{"match", id, "--plan", "--workers", fmt.Sprint(w), "--out", p.planDir, "--key-dir", p.planKeys}, args...)...)
	if !strings.Contains(out, fmt.Sprintf("--worker i/%d", w)) {
		t.Errorf("plan output does not say how to run the workers:\n%s", out)
	}
	key, err := os.ReadFile(filepath.Join(p.planKeys, id+".key"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range w {
		dir, keys := filepath.Join(e.dir, fmt.Sprintf("%s-machine%d", name, i)), filepath.Join(e.dir, fmt.Sprintf("%s-machine%d-keys", name, i))
		for _, d := range []string{dir, keys} {
			if err := os.Mkdir(d, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []string{"manifest.json", fmt.Sprintf("bucket-%d-of-%d.bin", i, w)} {
			copyFile(t, filepath.Join(p.planDir, f), filepath.Join(dir, f))
		}
		if err := os.WriteFile(filepath.Join(keys, id+".key"), key, 0o600); err != nil {
			t.Fatal(err)
		}
		p.workerDirs, p.workerKeys = append(p.workerDirs, dir), append(p.workerKeys, keys)
	}
	return p
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// workerArgs is worker i's command line.
func (p *splitParty) workerArgs(id string, i int) []string {
	return []string{"match", id, "--worker", fmt.Sprintf("%d/%d", i, len(p.workerDirs)), "--out", p.workerDirs[i],
		"--key-dir", p.workerKeys[i], "--poll", "50ms", "--parallel", "2"}
}

// via runs the CLI as apiKey against server (a relay in front of the room).
func via(ctx context.Context, server, apiKey string, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	args = append(args, "--server", server, "--api-key", apiKey)
	code := run(args, stdio{in: strings.NewReader(""), out: &out, err: &errOut, ctx: ctx})
	return out.String(), errOut.String(), code
}

// Issue 14, item 5: each party splits its match among 3 workers on
// "other machines" (their own directories and key stores). One partner
// worker is stopped mid re-blind; --finish then names it, and its rerun
// sends only the parts the clean room lacks. The results and activation
// are the truth.
func TestSplitMatchThreeWorkersPerSide(t *testing.T) {
	// Relay parts of 200 records: each worker re-blinds several.
	e := newE2EIn(t, roomtest.Start(t, roomtest.Options{RelayPartRecords: 200}))
	polFile, pol, truth := e.policyAndTruth(t)
	id := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email",
		"--policy", polFile, "--segments-from", e.advCSV))
	e.mustRun(t, e.partner, "session", "join", id, "--yes")

	adv := planSplit(t, e, e.adv, id, "adv", 3, "--in", e.advCSV, "--id-column", "email", "--segments-column", "segments")
	pub := planSplit(t, e, e.partner, id, "pub", 3, "--in", e.partnerCSV, "--id-column", "user_email")
	for _, p := range []*splitParty{adv, pub} {
		if _, err := os.Stat(filepath.Join(p.planDir, "rejects.csv")); err != nil {
			t.Errorf("the plan wrote no rejects.csv: %v", err)
		}
	}

	// Partner worker 1 is stopped, as by a killed pod, once the clean
	// room has accepted two of its re-blinded parts.
	stopCtx, relayURL := stopAfterReblindedParts(t, e.room.URL, 2)
	var wg sync.WaitGroup
	for _, p := range []*splitParty{adv, pub} {
		for i := range 3 {
			wg.Go(func() {
				if p == pub && i == 1 {
					if _, errOut, code := via(stopCtx, relayURL, p.key, p.workerArgs(id, i)...); code != exitInterrupted {
						t.Errorf("stopped worker: exit %d, want %d: %s", code, exitInterrupted, errOut)
					}
					return
				}
				if _, errOut, code := e.as(context.Background(), p.key, p.workerArgs(id, i)...); code != exitOK {
					t.Errorf("worker %d: exit %d: %s", i, code, errOut)
				}
			})
		}
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	finish := []string{"match", id, "--finish", "--out", pub.planDir, "--key-dir", pub.planKeys, "--poll", "50ms"}
	_, errOut, code := e.as(context.Background(), pub.key, finish...)
	if code != exitFail || !strings.Contains(errOut, "worker 1/3 (") || !strings.Contains(errOut, "re-blinded parts missing") ||
		strings.Contains(errOut, "worker 0/3") || strings.Contains(errOut, "worker 2/3") {
		t.Fatalf("--finish with worker 1 stopped: exit %d, %q", code, errOut)
	}

	// The rerun skips its blinded part and the join parts the clean room
	// holds.
	counting := roomtest.NewFaults(t, e.room.URL)
	out, errOut, code := via(context.Background(), counting.URL, pub.key, pub.workerArgs(id, 1)...)
	if code != exitOK || !strings.Contains(out, "(1 of its blinded parts were there already)") {
		t.Fatalf("rerun of worker 1: exit %d: %s%s", code, out, errOut)
	}
	share := 0
	for p := 1; p < (truth.Advertiser.Counted+199)/200; p += 3 {
		share++
	}
	sent := len(counting.Exchanges("PUT /reblinded"))
	if sent == 0 || sent > share-2 || len(counting.Exchanges("PUT /blinded")) != 0 {
		t.Errorf("rerun sent %d of its %d re-blinded parts and %d blinded parts; the clean room held 2 or more of them",
			sent, share, len(counting.Exchanges("PUT /blinded")))
	}

	e.mustRun(t, adv.key, "match", id, "--finish", "--out", adv.planDir, "--key-dir", adv.planKeys, "--poll", "50ms")
	e.mustRun(t, pub.key, finish...)
	checkResults(t, e, id, pol, truth)
	checkActivationFile(t, filepath.Join(pub.planDir, "activation.csv"), truth.Released(int(pol.K)))
	for _, p := range []*splitParty{adv, pub} {
		if _, err := keystore.Load(p.planKeys, id); !errors.Is(err, keystore.ErrNoKey) {
			t.Errorf("the session key outlived --finish: %v", err)
		}
		if left, _ := filepath.Glob(filepath.Join(p.planDir, "*.bin")); len(left) != 0 {
			t.Errorf("--finish left the plan's identifier files: %v", left)
		}
		var sum flow.Summary
		data, _ := os.ReadFile(filepath.Join(p.planDir, "summary.json"))
		if err := json.Unmarshal(data, &sum); err != nil || sum.Overlap == nil || *sum.Overlap != int64(truth.Overlap) || sum.Rows.Read == 0 {
			t.Errorf("summary.json: %v, overlap %v, rows %+v", err, e2eShow(sum.Overlap), sum.Rows)
		}
	}
}

// twoKeyFiles writes an advertiser CRM and a partner audience for an
// e-mail and phone session, over the default floor's 1,000 rows: 600
// people with both keys on both sides (every third in segment loyal),
// 200 with another e-mail at the partner and the same phone, 200 with a
// phone only at the advertiser, 20 advertiser rows with an invalid phone
// (the e-mail stays) and 200 people on one side only.
func twoKeyFiles(t *testing.T, dir string) (adv, partner string) {
	t.Helper()
	var a, p strings.Builder
	a.WriteString("email,phone,consent,segments\n")
	p.WriteString("e,mobile,consent\n")
	const c = "1;3;4;7;9"
	phone := func(i int) string { return fmt.Sprintf("+3361%07d", i) }
	for i := range 600 {
		seg := ""
		if i%3 == 0 {
			seg = "loyal"
		}
		fmt.Fprintf(&a, "p%d@example.com,%s,%s,%s\n", i, phone(i), c, seg)
		fmt.Fprintf(&p, "p%d@example.com,%s,%s\n", i, phone(i), c)
	}
	for i := 600; i < 800; i++ {
		fmt.Fprintf(&a, "work%d@corp.example,%s,%s,loyal\n", i, phone(i), c)
		fmt.Fprintf(&p, "home%d@example.com,%s,%s\n", i, phone(i), c)
	}
	for i := 800; i < 1000; i++ {
		fmt.Fprintf(&a, ",%s,%s,loyal\n", phone(i), c)
		fmt.Fprintf(&p, "p%d@example.com,%s,%s\n", i, phone(i), c)
	}
	for i := range 20 {
		fmt.Fprintf(&a, "bad%d@example.com,not-a-phone,%s,\n", i, c)
	}
	for i := range 200 {
		fmt.Fprintf(&a, "crm%d@example.com,,%s,\n", i, c)
		fmt.Fprintf(&p, ",%s,%s\n", phone(5000+i), c)
	}
	return writePartyFiles(t, dir, "crm2.csv", a.String(), "audience2.csv", p.String())
}

// A two-key session split among 3 workers per side gives exactly what
// a single-machine match of the same files gives: results, activation.csv
// and the input's account in summary.json.
func TestSplitMatchTwoKeysEqualsSingleMachine(t *testing.T) {
	e := newRoomWithParties(t)
	advCSV, partnerCSV := twoKeyFiles(t, e.dir)
	// A party that fails must not leave the other waiting for it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	polFile := writePolicy(t, e.dir, `{}`)
	newSession := func() string {
		id := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-keys", "email,phone",
			"--policy", polFile, "--segments", "loyal"))
		e.mustRun(t, e.partner, "session", "join", id, "--yes")
		return id
	}
	advRows := []string{"--in", advCSV, "--key", "email=email", "--key", "phone=phone", "--segments-column", "segments"}
	pubRows := []string{"--in", partnerCSV, "--key", "email=e", "--key", "phone=mobile"}

	single := newSession()
	var wg sync.WaitGroup
	for _, m := range []struct {
		key, name string
		rows      []string
	}{{e.adv, "adv", advRows}, {e.partner, "pub", pubRows}} {
		wg.Go(func() {
			args := append([]string{"match", single, "--out", filepath.Join(e.dir, "single-"+m.name), "--key-dir", filepath.Join(e.dir, "single-keys-"+m.name), "--poll", "50ms"}, m.rows...)
			if _, errOut, code := e.as(ctx, m.key, args...); code != exitOK {
				t.Errorf("single-machine %s: exit %d: %s", m.name, code, errOut)
				cancel()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	split := newSession()
	parties := []*splitParty{planSplit(t, e, e.adv, split, "adv", 3, advRows...), planSplit(t, e, e.partner, split, "pub", 3, pubRows...)}
	for _, p := range parties {
		for i := range 3 {
			wg.Go(func() {
				if _, errOut, code := e.as(ctx, p.key, p.workerArgs(split, i)...); code != exitOK {
					t.Errorf("worker %d: exit %d: %s", i, code, errOut)
					cancel()
				}
			})
		}
	}
	wg.Wait()
	for _, p := range parties {
		e.mustRun(t, p.key, "match", split, "--finish", "--out", p.planDir, "--key-dir", p.planKeys, "--poll", "50ms")
	}
	if t.Failed() {
		t.FailNow()
	}

	results := func(key, id string) resultsOutput {
		var res resultsOutput
		if err := json.Unmarshal([]byte(e.mustRun(t, key, "results", id, "--json")), &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, key := range []string{e.adv, e.partner} {
		a, b := results(key, single), results(key, split)
		if a.Overlap == nil || e2eShow(a.Overlap) != e2eShow(b.Overlap) || !slices.Equal(a.OverlapByKey, b.OverlapByKey) || len(a.OverlapByKey) != 2 {
			t.Errorf("split overlap %s %v, single-machine %s %v", e2eShow(b.Overlap), b.OverlapByKey, e2eShow(a.Overlap), a.OverlapByKey)
		}
	}
	singleAct, _ := os.ReadFile(filepath.Join(e.dir, "single-pub", "activation.csv"))
	splitAct, _ := os.ReadFile(filepath.Join(parties[1].planDir, "activation.csv"))
	if len(singleAct) == 0 || !bytes.Equal(singleAct, splitAct) {
		t.Errorf("activation.csv differs from the single-machine one (%d and %d bytes)", len(splitAct), len(singleAct))
	}
	for _, name := range []string{"adv", "pub"} {
		var a, b flow.Summary
		da, _ := os.ReadFile(filepath.Join(e.dir, "single-"+name, "summary.json"))
		db, _ := os.ReadFile(filepath.Join(e.dir, name+"-plan", "summary.json"))
		if json.Unmarshal(da, &a) != nil || json.Unmarshal(db, &b) != nil {
			t.Fatalf("%s: unreadable summary.json", name)
		}
		ka, _ := json.Marshal(a.Keys)
		kb, _ := json.Marshal(b.Keys)
		if a.Rows != b.Rows || !bytes.Equal(ka, kb) || e2eShow(a.Overlap) != e2eShow(b.Overlap) {
			t.Errorf("%s summary.json: split rows %+v keys %s, single-machine rows %+v keys %s", name, b.Rows, kb, a.Rows, ka)
		}
	}
	single1, _ := os.ReadFile(filepath.Join(e.dir, "single-adv", "rejects.csv"))
	split1, _ := os.ReadFile(filepath.Join(parties[0].planDir, "rejects.csv"))
	if !bytes.Equal(single1, split1) {
		t.Error("the plan's rejects.csv differs from the single-machine one")
	}
}

// The split match's refusals: flags that do not go together, a second
// plan into the same directory, a worker of another plan, without its
// bucket file or key, with a changed file or another key, and --finish
// before the workers ran. Each exits with the status its cause deserves,
// and no message quotes an identifier.
func TestSplitMatchRefusals(t *testing.T) {
	e := newE2E(t)
	polFile, _, _ := e.policyAndTruth(t)
	id := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email",
		"--policy", polFile, "--segments-from", e.advCSV))
	rows := []string{"--in", e.advCSV, "--id-column", "email", "--segments-column", "segments"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append([]string{"--plan", "--workers", "3", "--worker", "0/3"}, rows...), "give one of --plan, --worker and --finish"},
		{[]string{"--worker", "0/3", "--finish"}, "give one of --plan, --worker and --finish"},
		{append([]string{"--workers", "3"}, rows...), "--workers goes with --plan"},
		{append([]string{"--plan"}, rows...), "--plan needs --workers W"},
		{append([]string{"--plan", "--workers", "5000"}, rows...), "--plan needs --workers W"},
		{[]string{"--worker", "3/3"}, "--worker must be i/W"},
		{[]string{"--worker", "-1/3"}, "--worker must be i/W"},
		{[]string{"--worker", "1"}, "--worker must be i/W"},
		{[]string{"--worker", "0/3", "--in", e.advCSV}, "read no input file"},
		{[]string{"--finish", "--in", e.advCSV}, "read no input file"},
	} {
		args := append([]string{"match", id, "--out", filepath.Join(e.dir, "unused")}, tc.args...)
		if _, errOut, code := e.as(context.Background(), e.adv, args...); code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d, %q", tc.args, code, errOut, exitUsage, tc.want)
		}
	}

	p := planSplit(t, e, e.adv, id, "adv", 3, rows...)
	refused := func(what, apiKey string, want string, args ...string) {
		t.Helper()
		_, errOut, code := e.as(context.Background(), apiKey, args...)
		if code != exitFail || !strings.Contains(errOut, want) || strings.Contains(errOut, "@") {
			t.Errorf("%s: exit %d, %q; want %d, %q", what, code, errOut, exitFail, want)
		}
	}
	refused("a second plan", e.adv, "is not empty",
		append([]string{"match", id, "--plan", "--workers", "3", "--out", p.planDir, "--key-dir", p.planKeys}, rows...)...)
	refused("--finish before the workers", e.adv,
		"worker 0/3 (1 of 1 blinded parts missing), worker 1/3 (1 of 1 blinded parts missing), worker 2/3 (1 of 1 blinded parts missing)",
		"match", id, "--finish", "--out", p.planDir, "--key-dir", p.planKeys)
	refused("another number of workers", e.adv, "the plan in "+p.workerDirs[0]+" is for 3 workers",
		"match", id, "--worker", "0/2", "--out", p.workerDirs[0], "--key-dir", p.workerKeys[0])
	refused("another worker's machine", e.adv, "bucket-1-of-3.bin is missing",
		"match", id, "--worker", "1/3", "--out", p.workerDirs[0], "--key-dir", p.workerKeys[0])
	refused("another session", e.adv, "is for another session",
		"match", strings.Repeat("ab", 16), "--worker", "0/3", "--out", p.workerDirs[0], "--key-dir", p.workerKeys[0])
	refused("no key", e.adv, "has no copy of the session key",
		"match", id, "--worker", "0/3", "--out", p.workerDirs[0], "--key-dir", filepath.Join(e.dir, "empty-keys"))
	other := filepath.Join(e.dir, "other-keys")
	if _, _, err := keystore.LoadOrCreate(other, id, rand.Reader); err != nil {
		t.Fatal(err)
	}
	refused("another key", e.adv, "not the one the plan ordered the rows with",
		"match", id, "--worker", "0/3", "--out", p.workerDirs[0], "--key-dir", other)
	refused("the partner running the advertiser's plan", e.partner, "the plan is the advertiser's",
		"match", id, "--worker", "0/3", "--out", p.workerDirs[0], "--key-dir", p.workerKeys[0])

	bucket := filepath.Join(p.workerDirs[2], "bucket-2-of-3.bin")
	data, _ := os.ReadFile(bucket)
	data[len(data)-1] ^= 1
	os.WriteFile(bucket, data, 0o600)
	refused("a changed bucket file", e.adv, "bucket-2-of-3.bin is not the file the plan wrote",
		"match", id, "--worker", "2/3", "--out", p.workerDirs[2], "--key-dir", p.workerKeys[2])
	os.WriteFile(filepath.Join(p.workerDirs[1], "manifest.json"), []byte(`{"version": 1, "workers": "three"}`), 0o600)
	refused("a damaged manifest", e.adv, "manifest.json: not a plan manifest",
		"match", id, "--worker", "1/3", "--out", p.workerDirs[1], "--key-dir", p.workerKeys[1])

	// None of the refused workers sent anything.
	var s struct {
		Uploads struct {
			Advertiser struct {
				BlindedParts int `json:"blinded_parts"`
			} `json:"advertiser"`
		} `json:"uploads"`
	}
	if err := json.Unmarshal([]byte(e.mustRun(t, e.adv, "session", "show", id, "--json")), &s); err != nil || s.Uploads.Advertiser.BlindedParts != 0 {
		t.Errorf("refused workers uploaded %d parts (%v)", s.Uploads.Advertiser.BlindedParts, err)
	}
}
