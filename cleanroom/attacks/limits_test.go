package attacks

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/httpapi"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// TestAttackOversizedPart65MiB: a 65 MiB part is refused with 413 whether
// its length is declared (refused before the body is read) or streamed
// chunked behind a genuine part (refused at the 64 MiB limit), and nothing
// of it is kept; an oversized JSON request is refused the same way.
func TestAttackOversizedPart65MiB(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{})
	sd := newSide(t, adv, s, rows("huge", 0, 1000))
	part := sd.parts(t, 1000)[0]
	const size = 65 << 20

	// Declared: only the headers are sent; the answer comes without the
	// server waiting for the body.
	conn, err := net.Dial("tcp", strings.TrimPrefix(shared.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "PUT /v1/sessions/%s/blinded HTTP/1.1\r\nHost: attack\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: %s\r\nContent-Length: %d\r\n\r\n", s.ID, adv.token, api.PartContentType, size)
	conn.Write(part)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	expectError(t, "declared 65 MiB", reply{status: res.StatusCode, body: body}, http.StatusRequestEntityTooLarge, api.CodeTooLarge)

	// Streamed: a genuine part, then zeros up to 65 MiB, chunked.
	stream := io.MultiReader(bytes.NewReader(part), io.LimitReader(zeroReader{}, size-int64(len(part))))
	req := shared.request(t, http.MethodPut, "/v1/sessions/"+s.ID+"/blinded", api.PartContentType, io.NopCloser(stream))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+adv.token)
	expectError(t, "streamed 65 MiB", shared.send(t, req), http.StatusRequestEntityTooLarge, api.CodeTooLarge)

	if files := partFiles(t, shared.dir, s.ID); len(files) != 0 {
		t.Fatalf("oversized uploads left files: %v", files)
	}
	// JSON bodies have a much smaller bound.
	huge := `{"partner":"` + partner.name + `","match_key":"email","segments":["` + strings.Repeat("a", 100<<10) + `"]}`
	r := adv.do(t, http.MethodPost, "/v1/sessions", "application/json", strings.NewReader(huge))
	expectError(t, "100 KiB session request", r, http.StatusRequestEntityTooLarge, api.CodeTooLarge)
	if rcpt := sd.mustPut(t, "blinded", part); rcpt.Part != 0 || rcpt.Records != 1000 {
		t.Fatalf("genuine part after the attack: %+v", rcpt)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestAttackSlowClients: clients that hold connections open without
// finishing (headers sent a line at a time, a body that stops half-way, an
// idle keep-alive connection) are cut off by the server's timeouts, and a
// half-received part leaves nothing behind. The server here has short
// timeouts (operator.ServeConfig.Timeouts; blindjoind serve has no flags
// for them and uses httpapi.DefaultTimeouts).
func TestAttackSlowClients(t *testing.T) {
	t.Parallel()
	timeouts := httpapi.Timeouts{ReadHeader: 500 * time.Millisecond, Read: 2 * time.Second, Write: 5 * time.Second, Idle: time.Second}
	srv := newServer(t, serverOptions{timeouts: timeouts})
	adv, partner := srv.register(t, api.RoleAdvertiser), srv.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{})
	sd := newSide(t, adv, s, rows("slow", 0, 1000))
	part := sd.parts(t, 1000)[0]
	addr := strings.TrimPrefix(srv.url, "http://")

	// cutOff sends what, then keeps the connection open (trickling more
	// header lines if asked) and returns how long the server took to close
	// it, and what it answered.
	cutOff := func(what string, trickle bool) (time.Duration, string) {
		// Timed from before the dial: the server's deadline runs from its
		// accept, which may come before Dial returns here.
		start := time.Now()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer conn.Close()
		io.WriteString(conn, what)
		stop := make(chan struct{})
		defer close(stop)
		if trickle {
			go func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
						if _, err := fmt.Fprintf(conn, "X-Slow-%d: 1\r\n", i); err != nil {
							return
						}
					}
				}
			}()
		}
		conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		got, _ := io.ReadAll(conn) // until the server closes
		return time.Since(start), string(got)
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		took, _ := cutOff("GET /v1/sessions HTTP/1.1\r\nHost: attack\r\n", true)
		if took < timeouts.ReadHeader || took > timeouts.ReadHeader+3*time.Second {
			t.Errorf("headers trickled: connection closed after %v, want about %v", took, timeouts.ReadHeader)
		}
	})
	wg.Go(func() {
		head := fmt.Sprintf("PUT /v1/sessions/%s/blinded HTTP/1.1\r\nHost: attack\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: %s\r\nContent-Length: %d\r\n\r\n", s.ID, adv.token, api.PartContentType, len(part))
		took, answer := cutOff(head+string(part[:len(part)/2]), false)
		if took < timeouts.Read || took > timeouts.Read+3*time.Second {
			t.Errorf("half a body: connection closed after %v, want about %v", took, timeouts.Read)
		}
		if strings.HasPrefix(answer, "HTTP/1.1 200") {
			t.Errorf("half a body was accepted: %q", answer)
		}
	})
	wg.Go(func() {
		took, answer := cutOff("GET /healthz HTTP/1.1\r\nHost: attack\r\n\r\n", false)
		if !strings.HasPrefix(answer, "HTTP/1.1 200") || took < timeouts.Idle || took > timeouts.Idle+3*time.Second {
			t.Errorf("idle keep-alive: closed after %v (answer %.20q), want about %v", took, answer, timeouts.Idle)
		}
	})
	wg.Wait()

	if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedParts != 0 {
		t.Fatalf("a half-received part was stored: %+v", up)
	}
	deadline := time.Now().Add(5 * time.Second)
	for files := partFiles(t, srv.dir, s.ID); len(files) != 0; files = partFiles(t, srv.dir, s.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("a half-received part left files: %v", files)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if rcpt := sd.mustPut(t, "blinded", part); rcpt.Records != 1000 {
		t.Fatalf("genuine part after the attack: %+v", rcpt)
	}
}

// TestAttackSessionCreationFlood: a party creating sessions in a loop is
// stopped after its burst (20, the default) with 429 and Retry-After,
// nothing is created by a refused request, and other parties are not
// affected.
func TestAttackSessionCreationFlood(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	create := func(p *party) reply {
		return p.call(t, http.MethodPost, "/v1/sessions", api.CreateSessionRequest{Partner: partner.name, MatchKey: api.MatchKeyEmail})
	}
	burst := httpapi.DefaultLimits.Create.Burst
	created := 0
	for {
		r := create(adv)
		if r.status == http.StatusCreated {
			if created++; created > 3*burst {
				t.Fatalf("%d sessions and no limit", created)
			}
			continue
		}
		expectError(t, "creation flood", r, http.StatusTooManyRequests, api.CodeRateLimited)
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		break
	}
	if created < burst || created > burst+2 {
		t.Fatalf("%d sessions created before the limit, want about %d", created, burst)
	}
	expectError(t, "creation after the limit", create(adv), http.StatusTooManyRequests, api.CodeRateLimited)
	var list api.SessionList
	adv.expect(t, http.MethodGet, "/v1/sessions", nil, http.StatusOK, &list)
	if len(list.Sessions) != created {
		t.Fatalf("%d sessions exist after %d creations", len(list.Sessions), created)
	}
	if r := create(shared.register(t, api.RoleAdvertiser)); r.status != http.StatusCreated {
		t.Fatalf("another advertiser: %d %s", r.status, r.body)
	}
}

// TestAttackPartUploadFlood: a party sending parts in a loop is stopped
// after its burst (200, the default) with 429, before its bodies are read;
// other parties are not affected.
func TestAttackPartUploadFlood(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{})
	put := func(p *party) reply {
		return p.do(t, http.MethodPut, "/v1/sessions/"+s.ID+"/blinded", api.PartContentType, strings.NewReader(wire.Magic))
	}
	limit := httpapi.DefaultLimits.Parts
	burst := limit.Burst
	sent, start := 0, time.Now()
	for ; ; sent++ {
		r := put(adv)
		if r.status == http.StatusTooManyRequests {
			expectError(t, "part flood", r, http.StatusTooManyRequests, api.CodeRateLimited)
			break
		}
		expectError(t, "flood part", r, http.StatusBadRequest, api.CodeInvalidPart)
		if sent > 3*burst {
			t.Fatalf("%d parts and no limit", sent)
		}
	}
	// The bucket refills at limit.Rate parts a second while the flood
	// runs, however slowly a loaded machine serves it: the bound is the
	// burst plus what the elapsed time refilled, and one part in flight.
	refilled := int(limit.Rate*time.Since(start).Seconds()) + 1
	if sent < burst || sent > burst+refilled {
		t.Fatalf("%d parts before the limit, want the burst of %d plus at most %d refilled", sent, burst, refilled)
	}
	expectError(t, "the partner's part during the advertiser's flood", put(partner), http.StatusBadRequest, api.CodeInvalidPart)
}

// TestAttackConcurrentSessions: twenty complete sessions at once between
// the same two parties all succeed with exact results, and the process
// (server and clients together) stays within a bounded heap.
func TestAttackConcurrentSessions(t *testing.T) {
	const sessions, heapBound = 20, 256 << 20
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	for i := range sessions {
		wg.Go(func() {
			g := &goroutineT{TB: t}
			defer g.recover()
			s := createSession(g, adv, partner, api.CreateSessionRequest{})
			advRows, partnerRows := rows("conc", 0, 1000), rows("conc", 900-10*i, 1000)
			ra, rp := runSession(g, newSide(g, adv, s, advRows), newSide(g, partner, s, partnerRows))
			want := fmt.Sprint(overlap(advRows, partnerRows))
			if count(ra.Overlap) != want || count(rp.Overlap) != want {
				t.Errorf("session %d: overlaps %s and %s, want %s", i, count(ra.Overlap), count(rp.Overlap), want)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("%d concurrent sessions: peak heap in use %d MiB", sessions, peak.Load()>>20)
	if peak.Load() > heapBound {
		t.Fatalf("peak heap %d MiB over %d MiB", peak.Load()>>20, heapBound>>20)
	}
}

// goroutineT lets the helpers, which call t.Fatal, run on goroutines other
// than the test's: a fatal failure is reported with Errorf and ends only
// the goroutine.
type goroutineT struct {
	testing.TB
}

type goroutineExit struct{}

func (g *goroutineT) Fatal(args ...any) {
	g.TB.Helper()
	g.TB.Error(args...)
	panic(goroutineExit{})
}

func (g *goroutineT) Fatalf(format string, args ...any) {
	g.TB.Helper()
	g.TB.Errorf(format, args...)
	panic(goroutineExit{})
}

func (g *goroutineT) FailNow() {
	g.TB.Fail()
	panic(goroutineExit{})
}

// recover ends a goroutine stopped by Fatal; any other panic goes on.
func (g *goroutineT) recover() {
	if v := recover(); v != nil {
		if _, ok := v.(goroutineExit); !ok {
			panic(v)
		}
	}
}
