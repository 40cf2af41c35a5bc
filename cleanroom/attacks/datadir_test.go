package attacks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// TestAttackSecondServerOnDataDirectory starts a second "blindjoind serve"
// on the data directory of a running one while a part streams in. Before
// the data directory was locked, the second server started, its crash
// recovery deleted the first one's temporary part file, and the upload was
// answered 500. Now the second server exits at once with status 1 and names
// the process that holds the directory, and the upload completes.
func TestAttackSecondServerOnDataDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the blindjoind binary; skipped with -short")
	}
	t.Parallel()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	adv := partyAdd(t, bin, data, "lock-adv", api.RoleAdvertiser)
	partner := partyAdd(t, bin, data, "lock-pub", api.RoleMediaPartner)
	d := startDaemon(t, bin, data)
	for _, p := range []*party{adv, partner} {
		p.srv = d.srv
		p.token = p.login(t)
	}
	s := createSession(t, adv, partner, api.CreateSessionRequest{Segments: []string{"all"}})
	attrs := sideAttrs(t, s, api.RoleAdvertiser)
	// Large enough that the server has flushed part of it to its
	// temporary file while the rest is still held back.
	const n = 20_000
	part := wiretest.Parts(t, s.ID, wire.KindBlinded, attrs, blindedRecords(cheapElements(t, n), attrs), n)[0]

	body, feed := io.Pipe()
	half := len(part) / 2
	go func() {
		feed.Write(part[:half])
	}()
	req := adv.srv.request(t, http.MethodPut, "/v1/sessions/"+s.ID+"/blinded", api.PartContentType, body)
	req.ContentLength = int64(len(part))
	req.Header.Set("Authorization", "Bearer "+adv.token)
	answered := make(chan string, 1) // "" when the upload is accepted
	go func() {
		requestsSent.Add(1)
		res, err := httpClient.Do(req)
		if err != nil {
			answered <- err.Error()
			return
		}
		defer res.Body.Close()
		msg, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			answered <- fmt.Sprintf("%d %s", res.StatusCode, msg)
			return
		}
		answered <- ""
	}()
	waitForTempFile(t, data, s.ID, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, bin, "serve", "--data", data, "--addr", "127.0.0.1:0", "--log-format", "json")
	var stderr bytes.Buffer
	second.Stderr = &stderr
	err = second.Run()
	if ctx.Err() != nil {
		t.Fatalf("the second server on the data directory was still running after 30 s:\n%s", stderr.String())
	}
	if code := second.ProcessState.ExitCode(); err == nil || code != 1 {
		t.Fatalf("the second server exited with status %d (%v), want 1:\n%s", code, err, stderr.String())
	}
	if want := fmt.Sprintf("process %d", d.cmd.Process.Pid); !strings.Contains(stderr.String(), want) {
		t.Errorf("the second server's message does not name the holder (%s):\n%s", want, stderr.String())
	}
	if tmp := tempFiles(t, data, s.ID); len(tmp) != 1 {
		t.Errorf("temporary part files after the refused start: %v, want the one being written", tmp)
	}

	if _, err := feed.Write(part[half:]); err != nil {
		t.Fatal(err)
	}
	feed.Close()
	if failed := <-answered; failed != "" {
		t.Fatalf("the upload in progress failed: %s", failed)
	}
	partsAccepted.Add(1)
	if got := getSession(t, adv, s.ID); !got.Uploads.Advertiser.BlindedComplete {
		t.Fatalf("after the upload: %+v", got.Uploads.Advertiser)
	}
}
