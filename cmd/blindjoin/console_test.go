package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestConsolePrintsItsURL runs `blindjoin console --no-open` in-process: its
// first output line is the URL with the token, as soon as it listens; the
// URL opens the console; an interruption stops it with status 0.
func TestConsolePrintsItsURL(t *testing.T) {
	e := newRoomWithParties(t)
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	var errOut strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"console", "--no-open", "--addr", "127.0.0.1:0", "--dir", t.TempDir(), "--key-dir", t.TempDir(),
			"--server", e.room.URL, "--api-key", e.adv}, stdio{in: strings.NewReader(""), out: outW, err: &errOut, ctx: ctx})
		outW.Close()
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL line: %v (stderr %s)", err, errOut.String())
	}
	url := strings.TrimSpace(line)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]{43}$`).MatchString(url) {
		t.Fatalf("first line %q: want the URL with its token", line)
	}
	go io.Copy(io.Discard, outR)
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "acme") {
		t.Errorf("opening the URL: %d", resp.StatusCode)
	}
	if strings.Contains(string(body), e.adv) || strings.Contains(errOut.String(), e.adv) {
		t.Error("the API key reached the page or the output")
	}
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("status %d after the interruption, stderr %s", c, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the console did not stop")
	}
}

func TestConsoleRefusesNonLoopback(t *testing.T) {
	e := newRoomWithParties(t)
	var out, errOut strings.Builder
	code := run([]string{"console", "--no-open", "--addr", "0.0.0.0:0", "--dir", t.TempDir(), "--key-dir", t.TempDir(),
		"--server", e.room.URL, "--api-key", e.adv}, stdio{in: strings.NewReader(""), out: &out, err: &errOut, ctx: context.Background()})
	if code != exitUsage || out.Len() != 0 || !strings.Contains(errOut.String(), "not a loopback address") {
		t.Errorf("status %d, stdout %q, stderr %q: want 2, nothing printed, the loopback rule named", code, out.String(), errOut.String())
	}
}
