package flow

import (
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/csvin"
)

// TestResumeRecordsInputOptions checks that the options that change the
// uploaded bytes since issue 12 are recorded and named when they change.
func TestResumeRecordsInputOptions(t *testing.T) {
	first := Options{Input: "crm.csv"}.uploadOptions()
	now := Options{
		Input: "crm.csv", Format: csvin.Options{Delimiter: ';', Encoding: csvin.Windows1252},
		ConsentMapID: "Oui=1;3;4;7;9,Non=", SegmentNames: SegmentNamesSlug, NoSegments: true,
	}.uploadOptions()
	got := strings.Join(now.changedFrom(first), "\n")
	for _, want := range []string{
		`the delimiter (--delimiter) was "", now ";"`,
		`the encoding (--encoding) was "", now "windows-1252"`,
		`the consent mapping (--consent-map) was "", now "Oui=1;3;4;7;9,Non="`,
		`the segment naming (--segment-names) was "", now "slug"`,
		`leaving segments out (--no-segments) was "false", now "true"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("changes %q lack %q", got, want)
		}
	}
	if same := now.changedFrom(now); len(same) != 0 {
		t.Errorf("no change reported as %v", same)
	}
}

// TestParallelIsNoUploadOption: the parts in flight do not change the
// bytes uploaded, so a rerun may change them without being refused.
func TestParallelIsNoUploadOption(t *testing.T) {
	if changed := (Options{Input: "crm.csv", Parallel: 8}).uploadOptions().changedFrom(Options{Input: "crm.csv", Parallel: 1}.uploadOptions()); len(changed) != 0 {
		t.Errorf("another --parallel reported as %v", changed)
	}
}
