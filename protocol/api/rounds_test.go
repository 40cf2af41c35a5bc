package api

import (
	"encoding/json"
	"testing"
)

// TestOverlapRoundsRoundTrip: results read back encode as they were
// written, whether overlap_by_key was absent (results from before
// multi-key sessions), null or a list, so that a results commitment still
// verifies after a client decoded and re-encoded them.
func TestOverlapRoundsRoundTrip(t *testing.T) {
	for _, in := range []string{
		`{"session_id":"s","role":"advertiser","overlap":5,"match_rate":{"advertiser":null,"media_partner":null},"segments":null,"computed_at":"0001-01-01T00:00:00Z"}`,
		`{"session_id":"s","role":"advertiser","overlap":5,"overlap_by_key":null,"match_rate":{"advertiser":null,"media_partner":null},"segments":null,"computed_at":"0001-01-01T00:00:00Z"}`,
		`{"session_id":"s","role":"advertiser","overlap":5,"overlap_by_key":[{"key":"email","pairs":3},{"key":"phone","pairs":2}],"match_rate":{"advertiser":null,"media_partner":null},"segments":null,"computed_at":"0001-01-01T00:00:00Z"}`,
	} {
		var r Results
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Fatal(err)
		}
		out, err := r.CommittedJSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != in {
			t.Errorf("read back as\n%s\nwritten as\n%s", out, in)
		}
	}
}
