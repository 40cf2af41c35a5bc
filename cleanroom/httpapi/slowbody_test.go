package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/ratelimit"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// listen serves e's handler on a real loopback listener with the default
// (long) server timeouts, and returns its address.
func (e *env) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	srv := NewServer(ln.Addr().String(), e.h, Timeouts{}, nil)
	go srv.Serve(ln)
	e.t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// sendSlowly writes the request head and the first part of body, holds the
// rest back for hold, then sends it, and returns the response's status
// (0 if none came within 10 s).
func sendSlowly(t *testing.T, addr, method, path, contentType, auth string, body []byte, hold time.Duration) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n", method, path, contentType, len(body))
	if auth != "" {
		head += "Authorization: Bearer " + auth + "\r\n"
	}
	half := len(body) / 2
	if _, err := io.WriteString(conn, head+"\r\n"+string(body[:half])); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(hold)
		conn.Write(body[half:])
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// TestSlowJSONBodyIsCutShort: the server's read timeout must allow a
// 64 MiB part on a slow link (10 minutes), but a JSON body of at most
// 64 KiB has no such excuse. A client that trickles one, on the
// unauthenticated token route or any other JSON route, is answered 400
// after the short JSON timeout; a part upload as slow still succeeds.
func TestSlowJSONBodyIsCutShort(t *testing.T) {
	const short = 300 * time.Millisecond
	e := newEnv(t, func(c *Config) { c.JSONReadTimeout = short })
	addr := e.listen()
	tok := e.token("acme")

	start := time.Now()
	status := sendSlowly(t, addr, http.MethodPost, "/v1/auth/token", "application/json", "",
		[]byte(`{"api_key":"`+e.keys["acme"]+`"}`), 30*time.Second)
	if status != http.StatusBadRequest {
		t.Fatalf("slow token body: status %d, want 400 after %v", status, short)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the slow body held the connection for %v", took)
	}
	if status := sendSlowly(t, addr, http.MethodPost, "/v1/sessions", "application/json", tok,
		[]byte(`{"partner":"news","match_key":"email"}`), 30*time.Second); status != http.StatusBadRequest {
		t.Errorf("slow session creation: status %d, want 400", status)
	}
	// A JSON body that arrives in time is served, and the deadline does not
	// outlive it.
	if status := sendSlowly(t, addr, http.MethodPost, "/v1/sessions", "application/json", tok,
		[]byte(`{"partner":"news","match_key":"email"}`), short/3); status != http.StatusCreated {
		t.Errorf("session creation within the timeout: status %d", status)
	}
	if status := sendSlowly(t, addr, http.MethodPut, "/v1/sessions/s1/blinded", api.PartContentType, tok,
		make([]byte, 4096), 3*short); status != http.StatusOK {
		t.Errorf("slow part upload: status %d, want 200 (parts keep the long timeout)", status)
	}
}

// TestTokenRouteIsRateLimitedPerClient: anyone can call the token route,
// so it has a bucket per client address; a caller that exhausts it gets
// 429 with Retry-After, whatever the keys it sends, and other addresses
// are unaffected.
func TestTokenRouteIsRateLimitedPerClient(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.Token = ratelimit.Limit{Rate: 0.1, Burst: 3} })
	ask := func(remote, key string) *http.Response {
		r := request(http.MethodPost, "/v1/auth/token", "application/json", strings.NewReader(`{"api_key":"`+key+`"}`))
		r.RemoteAddr = remote
		return e.do(r).Result()
	}
	const attacker = "192.0.2.7:40000"
	for i := range 3 {
		if res := ask(attacker, "bjk_wrong"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
	res := ask("192.0.2.7:40001", e.keys["acme"]) // same host, new port, good key
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "10" {
		t.Fatalf("after the burst: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := ask("198.51.100.9:5000", e.keys["acme"]); res.StatusCode != http.StatusOK {
		t.Errorf("another address: %d", res.StatusCode)
	}
	// IPv6 clients are limited per /64: another address of the same
	// prefix shares the bucket.
	for i := range 3 {
		ask(fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1), "bjk_wrong")
	}
	if res := ask("[2001:db8:1:2:ffff::1]:443", e.keys["acme"]); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("IPv6 /64 neighbour: %d, want 429", res.StatusCode)
	}
	e.clock.Advance(10 * time.Second)
	if res := ask(attacker, e.keys["acme"]); res.StatusCode != http.StatusOK {
		t.Errorf("after Retry-After: %d", res.StatusCode)
	}
}

func TestClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:1234":          "192.0.2.7",
		"[::ffff:192.0.2.7]:1234": "192.0.2.7",
		"[2001:db8::1]:1":         "2001:db8::/64",
		"[fe80::1%eth0]:1":        "fe80::/64",
		"not-an-address":          "not-an-address",
	} {
		if got := clientKey(in); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", in, got, want)
		}
	}
}
