package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// stopAfterReblinded relays a party's requests to the clean room and
// stops the party's run once the clean room has accepted its last
// re-blinded part, as killing the process right then would: the run is
// cancelled before the party hears the answer.
func stopAfterReblinded(t *testing.T, room string, stop context.CancelFunc) *roomtest.Faults {
	relay := roomtest.NewFaults(t, room)
	relay.After("PUT /reblinded", func(x roomtest.Exchange) {
		var rec api.PartReceipt
		if x.Status == http.StatusOK && json.Unmarshal(x.Response, &rec) == nil && rec.Complete {
			stop()
		}
	})
	return relay
}

// Issue 9, item 3: a media partner stopped after its re-blinded upload
// must not resume with another session key, input file or row options:
// the key orders the upload and maps activation records back to rows, so
// a flipped key bit gave an activation.csv of other people's rows.
func TestResumeRefusesChangedKeyInputAndOptions(t *testing.T) {
	e := newE2E(t)
	polFile := writePolicy(t, e.dir, e2ePolicy)
	pol, _ := policy.Parse([]byte(e2ePolicy))
	truth, err := e.data.Truth(pol)
	if err != nil {
		t.Fatal(err)
	}
	// The partner's file gets a second consent column that withdraws
	// every tenth row's consent: choosing it changes the rows uploaded.
	partnerCSV := filepath.Join(e.dir, "audience2.csv")
	addConsentColumn(t, e.partnerCSV, partnerCSV, "consent_v2", func(row int, consent string) string {
		if row%10 == 0 {
			return ""
		}
		return consent
	})

	id := strings.TrimSpace(e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email",
		"--policy", polFile, "--segments-from", e.advCSV))
	e.mustRun(t, e.partner, "session", "join", id, "--yes")

	keys := filepath.Join(e.dir, "keys")
	partnerKeys, partnerOut := filepath.Join(keys, "pub"), filepath.Join(e.dir, "pub-out")
	advMatch := []string{"match", id, "--in", e.advCSV, "--id-column", "email", "--segments-column", "segments",
		"--out", filepath.Join(e.dir, "adv-out"), "--key-dir", filepath.Join(keys, "adv"), "--poll", "50ms"}
	partnerMatch := func(in, consentColumn string) []string {
		return []string{"match", id, "--in", in, "--id-column", "user_email", "--consent-column", consentColumn,
			"--out", partnerOut, "--key-dir", partnerKeys, "--poll", "50ms"}
	}

	// The partner is stopped once its re-blinded set is complete; the
	// advertiser finishes, so the results are computed.
	partnerCtx, stopPub := context.WithCancel(context.Background())
	defer stopPub()
	relay := stopAfterReblinded(t, e.room.URL, stopPub)
	var wg sync.WaitGroup
	var advErr string
	var advCode, partnerCode int
	wg.Go(func() { _, advErr, advCode = e.as(context.Background(), e.adv, advMatch...) })
	wg.Go(func() {
		var out, errOut bytes.Buffer
		args := append(partnerMatch(partnerCSV, "consent"), "--server", relay.URL, "--api-key", e.partner)
		partnerCode = run(args, stdio{in: strings.NewReader(""), out: &out, err: &errOut, ctx: partnerCtx})
	})
	wg.Wait()
	if advCode != exitOK || partnerCode != exitInterrupted {
		t.Fatalf("advertiser exit %d (%s); partner exit %d, want %d", advCode, advErr, partnerCode, exitInterrupted)
	}
	if out := e.mustRun(t, e.partner, "session", "show", id); !strings.Contains(out, string(api.StateComputed)) {
		t.Fatalf("the session is not computed:\n%s", out)
	}

	keyFile := filepath.Join(partnerKeys, id+".key")
	original, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(original)
	flipped[0] ^= 1
	activation := filepath.Join(partnerOut, "activation.csv")
	refused := func(t *testing.T, args []string, want ...string) {
		t.Helper()
		_, errOut, code := e.as(context.Background(), e.partner, args...)
		t.Logf("stderr: %s", errOut)
		if code != exitFail {
			t.Errorf("exit %d, want %d; stderr %q", code, exitFail, errOut)
		}
		for _, w := range want {
			if !strings.Contains(errOut, w) {
				t.Errorf("stderr %q lacks %q", errOut, w)
			}
		}
		if _, err := os.Stat(activation); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("activation.csv written (%v)", err)
		}
		if _, err := keystore.Load(partnerKeys, id); err != nil {
			t.Errorf("the key is gone after a refused resume: %v", err)
		}
	}

	t.Run("flipped key bit", func(t *testing.T) {
		if err := os.WriteFile(keyFile, flipped, 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(keyFile, original, 0o600)
		if _, err := keystore.Load(partnerKeys, id); err != nil {
			t.Fatalf("the flipped key must still be a valid scalar: %v", err)
		}
		refused(t, partnerMatch(partnerCSV, "consent"), "session key is not the one this session's upload was made with", "Restore the original key file")
	})
	t.Run("other consent column", func(t *testing.T) {
		refused(t, partnerMatch(partnerCSV, "consent_v2"), "input differs", `the consent column (--consent-column) was "consent", now "consent_v2"`)
	})
	t.Run("changed input file", func(t *testing.T) {
		kept, err := os.ReadFile(partnerCSV)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(partnerCSV, kept, 0o600)
		addConsentColumn(t, e.partnerCSV, partnerCSV, "consent_v2", func(row int, consent string) string { return consent })
		// The same columns, one row's consent withdrawn.
		replaceCell(t, partnerCSV, "consent", func(row int, consent string) string {
			if row == 7 {
				return ""
			}
			return consent
		})
		refused(t, partnerMatch(partnerCSV, "consent"), "input differs", "the input file changed since the upload started")
	})
	t.Run("resume record of an older version", func(t *testing.T) {
		kept, err := keystore.ReadState(partnerKeys, id)
		if err != nil {
			t.Fatal(err)
		}
		defer keystore.WriteState(partnerKeys, id, kept)
		if err := keystore.WriteState(partnerKeys, id, []byte(`{"version":1,"fingerprint":"00","records":1,"part_records":1}`)); err != nil {
			t.Fatal(err)
		}
		refused(t, partnerMatch(partnerCSV, "consent"), "resume record cannot vouch for the key", "from another blindjoin version", "start a new session")
	})

	// With its key, input and options, the partner finishes the session.
	e.mustRun(t, e.partner, partnerMatch(partnerCSV, "consent")...)
	checkActivationFile(t, activation, truth.Released(int(pol.K)))
}

// addConsentColumn copies the CSV file from to to with one more column,
// name, filled from the "consent" cell of each data row (numbered from 0).
func addConsentColumn(t *testing.T, from, to, name string, fill func(row int, consent string) string) {
	t.Helper()
	rows := readCSV(t, from)
	col := columnOf(t, rows[0], "consent")
	rows[0] = append(rows[0], name)
	for i, r := range rows[1:] {
		rows[i+1] = append(r, fill(i, r[col]))
	}
	writeCSV(t, to, rows)
}

// replaceCell rewrites the column of every data row of the CSV file path.
func replaceCell(t *testing.T, path, column string, fill func(row int, cell string) string) {
	t.Helper()
	rows := readCSV(t, path)
	col := columnOf(t, rows[0], column)
	for i, r := range rows[1:] {
		r[col] = fill(i, r[col])
	}
	writeCSV(t, path, rows)
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("%s: %d rows, %v", path, len(rows), err)
	}
	return rows
}

func columnOf(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

func writeCSV(t *testing.T, path string, rows [][]string) {
	t.Helper()
	var b bytes.Buffer
	if err := csv.NewWriter(&b).WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}
