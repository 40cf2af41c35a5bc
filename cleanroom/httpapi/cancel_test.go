package httpapi

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/session"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// committingSessions reads a re-blinded part, then "commits" until the
// request's context ends, and fails the way the store does when a
// transaction is cut off under it.
type committingSessions struct {
	*fakeSessions
	committing chan struct{}
}

func (s *committingSessions) PutReblinded(ctx context.Context, _ session.Principal, _ string, body io.Reader) (api.PartReceipt, error) {
	io.Copy(io.Discard, body)
	close(s.committing)
	<-ctx.Done()
	return api.PartReceipt{}, fmt.Errorf("session: commit: sqlitestore: commit: %w", sql.ErrTxDone)
}

// TestClientGoneDuringCommitIsNotAServerError: a client that hangs up while
// its upload commits made the access log report a 500 at ERROR, an alarm
// for the operator about a fault that is not the server's. It is logged
// and counted as a client cancel (499), at INFO.
func TestClientGoneDuringCommitIsNotAServerError(t *testing.T) {
	committing := make(chan struct{})
	e := newEnv(t, func(c *Config) {
		c.Sessions = &committingSessions{fakeSessions: c.Sessions.(*fakeSessions), committing: committing}
	})
	addr := e.listen()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 1024)
	fmt.Fprintf(conn, "PUT /v1/sessions/s1/reblinded HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		e.token("news"), api.PartContentType, len(body))
	conn.Write(body)
	select {
	case <-committing:
	case <-time.After(10 * time.Second):
		t.Fatal("the upload never reached the service")
	}
	conn.Close()

	line := waitForLogLine(t, e, "/v1/sessions/:id/reblinded")
	if line["level"] != "INFO" || line["status"] != 499.0 || line["code"] != codeClientCanceled {
		t.Errorf("access log: %v", line)
	}
	if msg, _ := line["error"].(string); !strings.Contains(msg, "transaction has already been committed") {
		t.Errorf("the log lost the error: %v", line)
	}
	if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Errorf("an ERROR line for a client's hang-up:\n%s", e.logs)
	}
	metrics := e.scrape().Body.String()
	if !strings.Contains(metrics, `route="/v1/sessions/:id/reblinded",status="499"} 1`) || strings.Contains(metrics, `status="500"`) {
		t.Errorf("metrics:\n%s", metrics)
	}
}

// TestServerErrorWhileClientWaitsStaysAnError: the same failure while the
// client still waits is the server's, a 500 at ERROR.
func TestServerErrorWhileClientWaitsStaysAnError(t *testing.T) {
	e := newEnv(t)
	e.sessions.err = errStoreDown
	rec := e.as("news", request(http.MethodPut, "/v1/sessions/s1/reblinded", api.PartContentType, bytes.NewReader(make([]byte, 16))))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("%d", rec.Code)
	}
	line := waitForLogLine(t, e, "/v1/sessions/:id/reblinded")
	if line["level"] != "ERROR" || line["status"] != 500.0 {
		t.Errorf("access log: %v", line)
	}
}

// waitForLogLine returns the first access-log line of route.
func waitForLogLine(t *testing.T, e *env, route string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, raw := range bytes.Split([]byte(e.logs.String()), []byte("\n")) {
			var m map[string]any
			if json.Unmarshal(raw, &m) == nil && m["msg"] == "request" && m["route"] == route {
				return m
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no access-log line for %s:\n%s", route, e.logs)
	return nil
}
