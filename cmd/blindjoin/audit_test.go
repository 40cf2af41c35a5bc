package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

const auditSession = "00112233445566778899aabbccddeeff"

// writePart writes a small blinded part and returns its path and digest.
func writePart(t *testing.T, dir string, part uint32, fill byte) (string, string) {
	t.Helper()
	h := wire.Header{Kind: wire.KindBlinded, Final: true, Session: wiretest.SessionID(t, auditSession), Part: part}
	rec := bytes.Repeat([]byte{fill}, h.RecordSize())
	data := wiretest.Part(t, h, [][]byte{rec, rec, rec})
	path := filepath.Join(dir, "part"+strconv.Itoa(int(part))+"-"+strconv.Itoa(int(fill))+".bjp")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, wiretest.DigestHex(t, data)
}

func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	uploaded, digest := writePart(t, dir, 0, 7)
	notUploaded, _ := writePart(t, dir, 0, 8)

	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	events := []transcript.Event{
		{Seq: 1, Time: at, Actor: "acme", Type: transcript.TypeSessionCreated},
		{Seq: 2, Time: at.Add(time.Second), Actor: "acme", Type: transcript.TypePartUploaded,
			Data: map[string]string{transcript.KeySide: "advertiser", transcript.KeyPart: "0", transcript.KeyDigest: digest, transcript.KeyRecords: "3"}},
	}
	tr, err := transcript.Seal(priv, "k1", auditSession, events)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(tr)
	goodPath := filepath.Join(dir, "transcript.json")
	os.WriteFile(goodPath, good, 0o600)
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, bytes.Replace(good, []byte(`"acme"`), []byte(`"acmf"`), 1), 0o600)

	key := hex.EncodeToString(pub)
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"valid", []string{goodPath, "--server-key", key, "--upload", uploaded}, exitOK},
		{"tampered event", []string{tampered, "--server-key", key}, exitFail},
		{"wrong server key", []string{goodPath, "--server-key", hex.EncodeToString(otherPub)}, exitFail},
		{"upload not in transcript", []string{goodPath, "--server-key", key, "--upload", notUploaded}, exitFail},
		{"upload file missing", []string{goodPath, "--server-key", key, "--upload", filepath.Join(dir, "nope")}, exitFail},
		{"no key", []string{goodPath}, exitUsage},
		{"bad key", []string{goodPath, "--server-key", "zz"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", append([]string{"audit", "verify"}, tc.args...)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.want, out, errOut)
			}
			if tc.want == exitFail && !strings.Contains(out, "FAILED") {
				t.Errorf("a failure must say FAILED: %s", out)
			}
		})
	}
}

// auditResults are the results of auditSession as the clean room releases
// them to each party, nonce included, and the computed event that commits
// to them.
func auditResults(t *testing.T) (adv, pub api.Results, computed map[string]string) {
	t.Helper()
	at := time.Date(2026, 11, 1, 12, 5, 0, 0, time.UTC)
	n, rate := int64(120), ">85%"
	adv = api.Results{SessionID: auditSession, Role: api.RoleAdvertiser, Overlap: &n,
		MatchRate: api.MatchRates{Advertiser: &rate}, Segments: map[string]*int64{"loyal": &n, "rare": nil}, ComputedAt: at}
	pub = api.Results{SessionID: auditSession, Role: api.RoleMediaPartner, Overlap: &n,
		MatchRate: api.MatchRates{MediaPartner: &rate}, Segments: map[string]*int64{}, ComputedAt: at,
		Activation: &api.Activation{Segments: []string{"loyal"}, Records: []api.ActivationRecord{{Record: 3, Segments: []int{0}}}}}
	computed = map[string]string{}
	for i, r := range []*api.Results{&adv, &pub} {
		nonce := bytes.Repeat([]byte{byte(i + 1)}, transcript.ResultNonceSize)
		committed, err := r.CommittedJSON()
		if err != nil {
			t.Fatal(err)
		}
		c, err := transcript.CommitResult(auditSession, string(r.Role), nonce, committed)
		if err != nil {
			t.Fatal(err)
		}
		computed[transcript.ResultCommitmentKey(string(r.Role))] = c
		r.ResultNonce = hex.EncodeToString(nonce)
	}
	return adv, pub, computed
}

// sealAudit writes a transcript of auditSession with a computed event
// holding data (none if nil) and returns its path.
func sealAudit(t *testing.T, dir, name string, priv ed25519.PrivateKey, data map[string]string) string {
	t.Helper()
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	events := []transcript.Event{{Seq: 1, Time: at, Actor: "acme", Type: transcript.TypeSessionCreated}}
	if data != nil {
		events = append(events, transcript.Event{Seq: 2, Time: at.Add(time.Minute), Actor: "server", Type: transcript.TypeComputed, Data: data})
	}
	tr, err := transcript.Seal(priv, "k1", auditSession, events)
	if err != nil {
		t.Fatal(err)
	}
	return writeJSON(t, dir, name, tr)
}

func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAuditVerifyResults: each party checks its own results against the
// transcript's commitment with --results, an auditor without results
// checks that the commitments are there, and results altered in any way,
// or presented for another party, session or without their nonce, fail.
func TestAuditVerifyResults(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(nil)
	key := hex.EncodeToString(pub)
	advRes, pubRes, computed := auditResults(t)
	tr := sealAudit(t, dir, "transcript.json", priv, computed)

	// The pre-commitment form: unsalted digests of the results without nonce.
	legacyAdv := advRes
	legacyAdv.ResultNonce = ""
	legacyJSON, _ := legacyAdv.CommittedJSON()
	sum := sha256.Sum256(legacyJSON)
	legacyTr := sealAudit(t, dir, "legacy.json", priv, map[string]string{ // as older clean rooms wrote them
		"result_digest": hex.EncodeToString(sum[:]), "partner_result_digest": hex.EncodeToString(sum[:])})

	malformed := maps.Clone(computed)
	malformed[transcript.ResultCommitmentKey(string(api.RoleMediaPartner))] = "not hex"

	tampered := advRes
	more := *advRes.Segments["loyal"] + 1
	tampered.Segments = map[string]*int64{"loyal": &more, "rare": nil}
	swapped := pubRes
	swapped.ResultNonce = advRes.ResultNonce
	otherSession := advRes
	otherSession.SessionID = "ffeeddccbbaa99887766554433221100"
	noNonce := advRes
	noNonce.ResultNonce = ""
	advJSON, _ := json.Marshal(advRes)
	extraField := filepath.Join(dir, "extra.json")
	os.WriteFile(extraField, append(bytes.Clone(advJSON[:len(advJSON)-1]), []byte(`,"note":"x"}`)...), 0o600)
	trailing := filepath.Join(dir, "trailing.json")
	os.WriteFile(trailing, append(bytes.Clone(advJSON), []byte(`{}`)...), 0o600)

	for _, tc := range []struct {
		name, transcript, results string
		want                      int
		says                      string
	}{
		{"advertiser with its results", tr, writeJSON(t, dir, "adv.json", advRes), exitOK, "advertiser results are those the computed event commits to"},
		{"partner with its results", tr, writeJSON(t, dir, "pub.json", pubRes), exitOK, "media_partner results are those"},
		{"auditor without results", tr, "", exitOK, "commits to both parties' results"},
		{"session not computed", sealAudit(t, dir, "open.json", priv, nil), "", exitOK, "has not been computed"},
		{"legacy transcript, auditor", legacyTr, "", exitOK, "unsalted digests"},
		{"legacy transcript with its results", legacyTr, writeJSON(t, dir, "legacy-adv.json", legacyAdv), exitOK, "advertiser results match the unsalted digest"},
		{"tampered segment count", tr, writeJSON(t, dir, "tampered.json", tampered), exitFail, "not those the clean room recorded"},
		{"partner results with the advertiser's nonce", tr, writeJSON(t, dir, "swapped.json", swapped), exitFail, "not those the clean room recorded"},
		{"results of another session", tr, writeJSON(t, dir, "other.json", otherSession), exitFail, "results of session"},
		{"results without their nonce", tr, writeJSON(t, dir, "nonce.json", noNonce), exitFail, "no 32-byte nonce"},
		{"a field the commitment does not cover", tr, extraField, exitFail, "unknown field"},
		{"data after the results", tr, trailing, exitFail, "data after the results"},
		{"results file missing", tr, filepath.Join(dir, "nope.json"), exitFail, "FAILED"},
		{"results of a session not computed", sealAudit(t, dir, "open2.json", priv, nil), writeJSON(t, dir, "adv2.json", advRes), exitFail, "not computed"},
		{"malformed commitment", sealAudit(t, dir, "malformed.json", priv, malformed), "", exitFail, "no well-formed media_partner commitment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"audit", "verify", tc.transcript, "--server-key", key}
			if tc.results != "" {
				args = append(args, "--results", tc.results)
			}
			out, errOut, code := runCLI(t, "", args...)
			if code != tc.want || !strings.Contains(out, tc.says) {
				t.Fatalf("exit %d, want %d, output should say %q\nstdout: %s\nstderr: %s", code, tc.want, tc.says, out, errOut)
			}
		})
	}
}
