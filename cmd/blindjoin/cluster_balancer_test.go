package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// balancer is the load balancer in front of a test cluster's serve
// replicas, as an operator runs one: an httputil.ReverseProxy whose
// backends are health-checked on /readyz every 100 ms (a replica that is
// dead, starting or draining answers no 200 and gets no traffic until it
// does) and taken out at once when a connection to them is refused. A
// request that found its backend refusing is sent to the next live one if
// it has no body (nothing reached the replica); one with a body is
// answered 502, which the client retries. It records the status of every
// answer it gives the parties.
type balancer struct {
	backends  []*backend
	transport *http.Transport
	next      atomic.Uint64 // round-robin position

	mu       sync.Mutex
	statuses map[int]int
}

type backend struct {
	url    *url.URL
	live   atomic.Bool
	served atomic.Int64 // answers it gave through the balancer
}

// statusClientGone is recorded for a request whose client went away
// before an answer (nginx's 499): no replica failed it.
const statusClientGone = 499

// newBalancer balances over the replicas at addrs (host:port), all
// presumed live; its health checks stop with the test.
func newBalancer(t *testing.T, addrs ...string) *balancer {
	t.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	b := &balancer{transport: transport, statuses: map[int]int{}}
	for _, a := range addrs {
		be := &backend{url: &url.URL{Scheme: "http", Host: a}}
		be.live.Store(true)
		b.backends = append(b.backends, be)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var checks sync.WaitGroup
	checks.Go(func() { b.healthChecks(ctx) })
	t.Cleanup(func() {
		cancel()
		checks.Wait()
		transport.CloseIdleConnections()
	})
	return b
}

func (b *balancer) healthChecks(ctx context.Context) {
	probe := &http.Client{Timeout: time.Second, Transport: b.transport}
	for {
		for _, be := range b.backends {
			resp, err := probe.Get(be.url.JoinPath("/readyz").String())
			if err == nil {
				resp.Body.Close()
			}
			be.live.Store(err == nil && resp.StatusCode == http.StatusOK)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// front is one address the parties connect to. A round-robin front sends
// each request to the next live replica; a sticky one sends every request
// to the same replica, and moves to the next live one only when that one
// is taken out (source affinity, as balancers offer).
type front struct {
	URL    string
	b      *balancer
	sticky bool
	cur    atomic.Int64 // the sticky front's replica
	// tap, if set, sees every request before it goes to replica be, and
	// may replace its body.
	tap func(be int, r *http.Request)
}

// roundRobin starts a front that spreads every request over the live
// replicas.
func (b *balancer) roundRobin(t *testing.T) *front {
	return b.start(t, &front{b: b})
}

// stickyTo starts a front whose requests go to replica first while it is
// live.
func (b *balancer) stickyTo(t *testing.T, first int) *front {
	f := &front{b: b, sticky: true}
	f.cur.Store(int64(first))
	return b.start(t, f)
}

func (b *balancer) start(t *testing.T, f *front) *front {
	t.Helper()
	proxy := &httputil.ReverseProxy{
		// The replica is chosen per attempt by RoundTrip.
		Rewrite:   func(pr *httputil.ProxyRequest) {},
		Transport: f,
		ModifyResponse: func(resp *http.Response) error {
			b.record(resp.StatusCode)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				b.record(statusClientGone)
				return
			}
			b.record(http.StatusBadGateway)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `{"error":{"code":"bad_gateway","message":"no replica answered"}}`)
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

var errNoReplica = errors.New("balancer: no live replica")

// RoundTrip sends r to the front's choice of live replica.
func (f *front) RoundTrip(r *http.Request) (*http.Response, error) {
	for {
		i, ok := f.pick()
		if !ok {
			return nil, errNoReplica
		}
		be := f.b.backends[i]
		out := r.Clone(r.Context())
		out.URL.Scheme, out.URL.Host = be.url.Scheme, be.url.Host
		if f.tap != nil {
			f.tap(i, out)
		}
		resp, err := f.b.transport.RoundTrip(out)
		if err == nil {
			be.served.Add(1)
		}
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
			return resp, err
		}
		be.live.Store(false)
		if r.Body != nil && r.Body != http.NoBody {
			return nil, err
		}
	}
}

// pick is the index of the replica for the next request.
func (f *front) pick() (int, bool) {
	n := len(f.b.backends)
	start := int(f.b.next.Add(1))
	if f.sticky {
		start = int(f.cur.Load())
	}
	for k := range n {
		i := (start + k) % n
		if f.b.backends[i].live.Load() {
			if f.sticky {
				f.cur.Store(int64(i))
			}
			return i, true
		}
	}
	return 0, false
}

func (b *balancer) record(status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.statuses[status]++
}

// Statuses is how many answers of each status the fronts gave, by
// status.
func (b *balancer) Statuses() map[int]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.statuses)
}

// showStatuses formats a status count in status order.
func showStatuses(m map[int]int) string {
	s := ""
	for _, st := range slices.Sorted(maps.Keys(m)) {
		s += fmt.Sprintf(" %d×%d", st, m[st])
	}
	return s
}
