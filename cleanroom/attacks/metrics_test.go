package attacks

import (
	"net/http"
	"strings"
	"testing"
)

// TestAttackMetricsWithoutCredentials: /metrics used to answer anyone who
// reached the API, with authentication failures by reason, traffic per
// route and sessions by state. The API no longer serves it; metrics have
// their own listener (--metrics-addr), off by default.
func TestAttackMetricsWithoutCredentials(t *testing.T) {
	t.Parallel()
	r := shared.send(t, shared.request(t, http.MethodGet, "/metrics", "", nil))
	if r.status != http.StatusNotFound || strings.Contains(string(r.body), "blindjoin_") {
		t.Fatalf("GET /metrics on the API: %d %.200s", r.status, r.body)
	}
}
