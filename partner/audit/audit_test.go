package audit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/transcript"
)

func TestTimelineSortsAndShortensFacts(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got := Timeline([]transcript.Event{{Seq: 1, Time: at, Actor: "server", Type: "created",
		Data: map[string]string{"z": "1", "a": strings.Repeat("d", maxFactLen+1)}}})
	want := []string{"a=" + strings.Repeat("d", maxFactLen/2) + "…", "z=1"}
	if len(got) != 1 || strings.Join(got[0].Facts, " ") != strings.Join(want, " ") || got[0].Seq != 1 || got[0].Actor != "server" {
		t.Fatalf("Timeline = %+v, want facts %q", got, want)
	}
}

// A results file is refused unless it is exactly the JSON the clean room
// released for this session, before any commitment is looked at.
func TestResultsFileRefusesWhatIsNotReleasedResults(t *testing.T) {
	tr := transcript.Transcript{SessionID: "s1"}
	for name, body := range map[string]string{
		"not JSON":      `nope`,
		"unknown field": `{"session_id":"s1","role":"advertiser","extra":1}`,
		"trailing data": `{"session_id":"s1","role":"advertiser"} {}`,
		"other session": `{"session_id":"s2","role":"advertiser"}`,
		"auditor role":  `{"session_id":"s1","role":"auditor"}`,
		"nonce not hex": `{"session_id":"s1","role":"advertiser","result_nonce":"zz"}`,
	} {
		path := filepath.Join(t.TempDir(), "results.json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if o, err := ResultsFile(path, tr); err == nil {
			t.Errorf("%s: accepted as %+v", name, o)
		}
	}
	if _, err := ResultsFile(filepath.Join(t.TempDir(), "missing.json"), tr); err == nil {
		t.Error("a missing file is accepted")
	}
}

func TestCommitmentsOfAnUncomputedSession(t *testing.T) {
	if c, err := Commitments(transcript.Transcript{SessionID: "s1"}); err != nil || c != NotComputed {
		t.Fatalf("Commitments = %v, %v; want NotComputed", c, err)
	}
}
