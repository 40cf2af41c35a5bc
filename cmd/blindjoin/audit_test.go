package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/transcript"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

const auditSession = "00112233445566778899aabbccddeeff"

// writePart writes a small blinded part and returns its path and digest.
func writePart(t *testing.T, dir string, part uint32, fill byte) (string, string) {
	t.Helper()
	h := wire.Header{Kind: wire.KindBlinded, Final: true, Part: part}
	hex.Decode(h.Session[:], []byte(auditSession))
	var buf bytes.Buffer
	w, err := wire.NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	rec := bytes.Repeat([]byte{fill}, h.RecordSize())
	for range 3 {
		if err := w.WriteRecord(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "part"+strconv.Itoa(int(part))+"-"+strconv.Itoa(int(fill))+".bjp")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	d := w.Digest()
	return path, hex.EncodeToString(d[:])
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
