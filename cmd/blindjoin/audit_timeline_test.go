package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// TestAuditVerifyTimeline checks that audit verify prints one line per
// event, and names the key that signed a head the given key does not
// verify.
func TestAuditVerifyTimeline(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	digest := strings.Repeat("ab", 32)
	events := []transcript.Event{
		{Seq: 1, Time: at, Actor: "acme", Type: transcript.TypeSessionCreated, Data: map[string]string{"match_key": "email"}},
		{Seq: 2, Time: at.Add(90 * time.Second), Actor: "news", Type: transcript.TypePartUploaded,
			Data: map[string]string{transcript.KeySide: "media_partner", transcript.KeyPart: "0", transcript.KeyDigest: digest, transcript.KeyRecords: "3"}},
	}
	tr, err := transcript.Seal(priv, transcript.KeyID(pub), auditSession, events)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(tr)
	path := filepath.Join(t.TempDir(), "transcript.json")
	os.WriteFile(path, data, 0o600)

	out, errOut, code := runCLI(t, "", "audit", "verify", path, "--server-key", hex.EncodeToString(pub))
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"timeline\n",
		"    1  2026-11-01 12:00:00  acme         " + transcript.TypeSessionCreated,
		"match_key=email",
		"    2  2026-11-01 12:01:30  news         " + transcript.TypePartUploaded,
		"digest=" + digest[:12] + "…", "records=3", "side=media_partner",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}

	out, _, code = runCLI(t, "", "audit", "verify", path, "--server-key", hex.EncodeToString(otherPub))
	want := "the head was signed by key " + transcript.KeyID(pub) + ", and the key given (--server-key) is " + transcript.KeyID(otherPub)
	if code != exitFail || !strings.Contains(out, want) {
		t.Errorf("wrong key: exit %d, output %q; want %q", code, out, want)
	}
}
