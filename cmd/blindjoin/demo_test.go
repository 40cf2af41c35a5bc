package main

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/internal/demo"
)

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo, 20k x 50k rows; the end-to-end test covers the same code in short mode")
	}
	dir := filepath.Join(t.TempDir(), "kept")
	start := time.Now()
	out, errOut, code := runCLI(t, "", "demo", "--json", "--keep", dir)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	t.Logf("demo took %s", time.Since(start))
	var rep demo.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json must print one object: %v\n%s", err, out)
	}
	if !rep.Verified || rep.Verification == nil || !rep.Verification.OK() || len(rep.Verification.Checked) < 15 || rep.TranscriptCheck != "ok" {
		t.Errorf("not verified: %+v, transcript %s", rep.Verification, rep.TranscriptCheck)
	}
	if rep.Advertiser.Rows.Read != 20_000 || rep.MediaPartner.Rows.Read != 50_000 {
		t.Errorf("rows read %d and %d, want the default 20,000 and 50,000", rep.Advertiser.Rows.Read, rep.MediaPartner.Rows.Read)
	}
	for _, f := range []string{rep.ActivationFile, rep.Transcript, rep.AdvertiserCSV, rep.PartnerCSV} {
		if rel, err := filepath.Rel(dir, f); err != nil || !filepath.IsLocal(rel) {
			t.Errorf("%s is not under --keep %s", f, dir)
		}
		if _, err := os.Stat(f); err != nil {
			t.Errorf("kept file: %v", err)
		}
	}
	// Nothing is left running: the clean room's port is closed.
	u, err := url.Parse(rep.CleanRoom)
	if err != nil || u.Host == "" {
		t.Fatalf("clean_room %q", rep.CleanRoom)
	}
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Errorf("the clean room still listens on %s", u.Host)
	}

	// A second run refuses to mix its files with the first's.
	if _, errOut, code := runCLI(t, "", "demo", "--keep", dir); code != exitFail {
		t.Errorf("demo into a non-empty --keep: exit %d, %s", code, errOut)
	}
}
