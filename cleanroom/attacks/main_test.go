package attacks

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"sort"
	"testing"
)

// shared is the server most attacks run against: the defaults of
// "blindjoind serve" (floor min_rows 1000 and k 50, budget epsilon 10 per
// pair, default rate limits and timeouts). Tests that need other settings
// start their own with newServer.
var shared *server

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if crashTestsWanted() {
		go buildBinary() // ready by the time the crash tests run
	}
	srv, err := startServer(serverOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "attacks: starting the shared server:", err)
		return 1
	}
	shared = srv
	code := m.Run()
	if err := srv.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "attacks: stopping the shared server:", err)
		code = 1
	}
	removeBinary()
	if !checkServerLog() {
		code = 1
	}
	return code
}

// checkServerLog scans the log of every in-process server the suite ran for
// every secret the tests recorded. It runs after all tests, so it covers
// the whole attack run, error paths included.
func checkServerLog() bool {
	log := serverLog.Bytes()
	// A scan of an empty log proves nothing: the access log, if a request
	// was sent, and the session service, if a part was accepted, must have
	// written to it.
	var want []string
	if requestsSent.Load() > 0 {
		want = append(want, `"msg":"request"`)
	}
	if partsAccepted.Load() > 0 {
		want = append(want, `"msg":"part received"`)
	}
	for _, want := range want {
		if !bytes.Contains(log, []byte(want)) {
			fmt.Fprintf(os.Stderr, "FAIL: attacks: the server log lacks %s; the log scan would prove nothing\n", want)
			return false
		}
	}
	found := secrets.find(log)
	if len(found) > 0 {
		kinds := make([]string, 0, len(found))
		for k, n := range found {
			kinds = append(kinds, fmt.Sprintf("%s x%d", k, n))
		}
		sort.Strings(kinds)
		fmt.Fprintf(os.Stderr, "FAIL: attacks: the servers' logs hold secrets: %v\n", kinds)
		return false
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "attacks: %d bytes of server log hold none of the %d secrets the tests used\n", len(log), secrets.size())
	}
	return true
}
