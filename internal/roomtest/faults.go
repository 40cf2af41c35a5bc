package roomtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// Faults is a relay in front of a clean room that, for the requests a test
// chooses, does what a rate limiter, a failing load balancer or a broken
// network would: answer an error itself, lose the answer, or cut a body
// short; and it can make the room refuse the tokens issued so far. It
// relays everything else unchanged, and logs every exchange.
type Faults struct {
	// URL is where the parties under test connect.
	URL string

	t      testing.TB
	proxy  *httputil.ReverseProxy
	mu     sync.Mutex
	rules  []*rule
	hooks  []hook
	before []beforeHook
	log    []Exchange
	// tokens holds the Authorization headers seen so far: true once
	// revoked.
	tokens map[string]bool
}

// Fault is what the relay does to a request instead of relaying it
// faithfully; make one with Refuse, Drop or Truncate.
type Fault struct {
	status     int    // Refuse: answer this status without relaying
	retryAfter string // with this Retry-After, if not empty
	drop       bool   // relay, then close the connection without an answer
	truncate   bool   // relay, then send half the answer's body and close
}

// Refuse answers status with an API error body, and Retry-After if
// retryAfter is not empty, without the clean room seeing the request: a
// rate limiter's 429 or a load balancer's 503.
func Refuse(status int, retryAfter string) Fault {
	return Fault{status: status, retryAfter: retryAfter}
}

// Drop lets the clean room handle the request, then closes the connection
// without an answer: the room did the work and the party does not know.
func Drop() Fault { return Fault{drop: true} }

// Truncate lets the clean room answer, then sends the status, the headers
// (with the full Content-Length) and half the body, and closes the
// connection.
func Truncate() Fault { return Fault{truncate: true} }

// Exchange is one request through the relay.
type Exchange struct {
	Method, Path, Query string
	// Header and Body are the request's, as the party sent them.
	Header http.Header
	Body   []byte
	// Relayed says the clean room received the request; Status is its
	// answer, or the relay's when it refused the request itself.
	Relayed bool
	Status  int
	// Response is the clean room's answer body (nil if not relayed).
	Response []byte
	// Fault says the relay refused, dropped or cut the exchange.
	Fault bool
}

// rule applies fault to the next `times` requests that match.
type rule struct {
	match string
	fault Fault
	times int
}

// hook runs fn after the clean room answered a matching request.
type hook struct {
	match string
	fn    func(Exchange)
}

// beforeHook runs fn when a matching request has arrived, before it is
// relayed.
type beforeHook struct {
	match string
	fn    func(Exchange) (Fault, bool)
}

// NewFaults starts a relay to the clean room at room, closed when the test
// ends.
func NewFaults(t testing.TB, room string) *Faults {
	t.Helper()
	target, err := url.Parse(room)
	if err != nil {
		t.Fatal(err)
	}
	f := &Faults{t: t, proxy: httputil.NewSingleHostReverseProxy(target), tokens: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Inject makes the next `times` requests that match ("PUT /blinded": a
// method and the end of the path) suffer fault. Rules apply in the order
// they were injected.
func (f *Faults) Inject(match string, times int, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &rule{match: match, fault: fault, times: times})
}

// After runs fn each time the clean room has answered a request that
// matches, before the party receives the answer. fn runs without the
// relay's lock, so it may inject faults.
func (f *Faults) After(match string, fn func(Exchange)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = append(f.hooks, hook{match: match, fn: fn})
}

// Before runs fn each time a request that matches has arrived whole,
// before anything else is done with it: a fault fn returns with true
// applies to that request instead of the injected rules, which lets a test
// pick requests by their content (one part of an upload). fn runs
// without the relay's lock and may block, holding the request as a slow
// network would, until other requests have arrived or been answered.
func (f *Faults) Before(match string, fn func(Exchange) (Fault, bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.before = append(f.before, beforeHook{match: match, fn: fn})
}

// RevokeTokens makes the clean room refuse every bearer token the parties
// have sent so far, as after a restart that rotated its signing keys: the
// relay alters them on their way, so the room answers 401 itself. Tokens
// issued later pass.
func (f *Faults) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for tok := range f.tokens {
		f.tokens[tok] = true
	}
}

// revoked reports whether auth, an Authorization header, was revoked; it
// notes a header not seen before.
func (f *Faults) revoked(auth string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if auth == "" {
		return false
	}
	revoked, seen := f.tokens[auth]
	if !seen {
		f.tokens[auth] = false
	}
	return revoked
}

// Exchanges returns the log of the requests so far, matching match ("" for
// all), in the order they arrived.
func (f *Faults) Exchanges(match string) []Exchange {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Exchange
	for _, x := range f.log {
		if match == "" || matches(match, x.Method, x.Path) {
			out = append(out, x)
		}
	}
	return out
}

func matches(match, method, path string) bool {
	m, suffix, _ := strings.Cut(match, " ")
	return method == m && strings.HasSuffix(path, suffix)
}

// next takes the fault for a request, if a rule has one left.
func (f *Faults) next(method, path string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.times > 0 && matches(r.match, method, path) {
			r.times--
			return r.fault, true
		}
	}
	return Fault{}, false
}

// picked runs the Before hooks for x and returns the first fault one
// chose.
func (f *Faults) picked(x Exchange) (Fault, bool) {
	f.mu.Lock()
	var fns []func(Exchange) (Fault, bool)
	for _, h := range f.before {
		if matches(h.match, x.Method, x.Path) {
			fns = append(fns, h.fn)
		}
	}
	f.mu.Unlock()
	for _, fn := range fns {
		if fault, ok := fn(x); ok {
			return fault, true
		}
	}
	return Fault{}, false
}

func (f *Faults) hooksFor(method, path string) []func(Exchange) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []func(Exchange)
	for _, h := range f.hooks {
		if matches(h.match, method, path) {
			out = append(out, h.fn)
		}
	}
	return out
}

func (f *Faults) record(x Exchange) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, x)
}

func (f *Faults) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		// The party broke off its request: nothing to relay.
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	x := Exchange{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Header: req.Header.Clone(), Body: body}
	fault, faulty := f.picked(x)
	if !faulty {
		fault, faulty = f.next(req.Method, req.URL.Path)
	}
	x.Fault = faulty
	if faulty && fault.status != 0 {
		x.Status = fault.status
		f.record(x)
		refuse(w, fault)
		return
	}
	if f.revoked(req.Header.Get("Authorization")) {
		// One character more, and the signature no longer verifies.
		req.Header.Set("Authorization", req.Header.Get("Authorization")+"x")
	}

	// The room's answer is held whole, so that it can be cut or lost.
	rec := httptest.NewRecorder()
	f.proxy.ServeHTTP(rec, req)
	x.Relayed, x.Status, x.Response = true, rec.Code, slices.Clone(rec.Body.Bytes())
	f.record(x)
	for _, fn := range f.hooksFor(req.Method, req.URL.Path) {
		fn(x)
	}

	switch {
	case fault.drop:
		f.hangUp(w)
		return
	case fault.truncate:
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(x.Response)))
		w.WriteHeader(rec.Code)
		w.Write(x.Response[:len(x.Response)/2])
		http.NewResponseController(w).Flush()
		f.hangUp(w)
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(x.Response)
}

// refuse answers the fault's status with an API error body.
func refuse(w http.ResponseWriter, fault Fault) {
	if fault.retryAfter != "" {
		w.Header().Set("Retry-After", fault.retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(fault.status)
	code := api.CodeUnavailable
	if fault.status == http.StatusTooManyRequests {
		code = api.CodeRateLimited
	}
	json.NewEncoder(w).Encode(api.ErrorBody{Error: api.ErrorDetail{Code: code, Message: "injected by the test relay"}})
}

// hangUp closes the party's connection without another byte.
func (f *Faults) hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		f.t.Errorf("roomtest: cannot hang up: %v", err)
		return
	}
	conn.Close()
}
