package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
)

// Legs of the protocol, as a party's traffic meter names them.
const (
	LegBlinded = "blinded_up"       // PUT .../blinded: own elements and attribute bits
	LegRelay   = "counterpart_down" // GET .../counterpart: the other side's elements
	LegJoin    = "join_up"          // PUT .../reblinded: join digests
)

// Traffic is what a party sent and received: part bodies per leg,
// and every byte of every connection (HTTP headers, JSON calls and polls
// included).
type Traffic struct {
	Legs         map[string]int64 `json:"legs"`
	ConnSent     int64            `json:"conn_sent"`
	ConnReceived int64            `json:"conn_received"`
}

// meter counts a client's traffic.
type meter struct {
	blinded, relay, join atomic.Int64
	sent, received       atomic.Int64
	base                 *http.Transport
}

func newMeter() *meter {
	m := &meter{base: http.DefaultTransport.(*http.Transport).Clone()}
	dial := m.base.DialContext
	m.base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countedConn{Conn: c, m: m}, nil
	}
	return m
}

// httpClient is the client the party uses: the partner/client default
// (no redirects) over the metered transport.
func (m *meter) httpClient() *http.Client {
	return &http.Client{
		Transport:     m,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// RoundTrip counts the part bodies of each leg.
func (m *meter) RoundTrip(req *http.Request) (*http.Response, error) {
	path := req.URL.Path
	switch {
	case req.Method == http.MethodPut && strings.HasSuffix(path, "/blinded") && req.Body != nil:
		req.Body = &countedBody{ReadCloser: req.Body, n: &m.blinded}
	case req.Method == http.MethodPut && strings.HasSuffix(path, "/reblinded") && req.Body != nil:
		req.Body = &countedBody{ReadCloser: req.Body, n: &m.join}
	}
	resp, err := m.base.RoundTrip(req)
	if err == nil && req.Method == http.MethodGet && strings.HasSuffix(path, "/counterpart") {
		resp.Body = &countedBody{ReadCloser: resp.Body, n: &m.relay}
	}
	return resp, err
}

func (m *meter) report() Traffic {
	return Traffic{
		Legs: map[string]int64{
			LegBlinded: m.blinded.Load(),
			LegRelay:   m.relay.Load(),
			LegJoin:    m.join.Load(),
		},
		ConnSent:     m.sent.Load(),
		ConnReceived: m.received.Load(),
	}
}

type countedBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

type countedConn struct {
	net.Conn
	m *meter
}

func (c *countedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.m.received.Add(int64(n))
	return n, err
}

func (c *countedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.m.sent.Add(int64(n))
	return n, err
}
