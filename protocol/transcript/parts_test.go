package transcript

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPartDigests(t *testing.T) {
	events := sessionEvents()
	// A retried part records a new digest; an event without a digest is
	// skipped.
	events = append(events,
		Event{Seq: 10, Time: t0.Add(31 * 24 * time.Hour), Actor: "adv-1", Type: TypePartUploaded, Data: map[string]string{
			KeySide: "advertiser", KeyPart: "1", KeyDigest: strings.Repeat("ee", 32), KeyRecords: "1200"}},
		Event{Seq: 11, Time: t0.Add(31 * 24 * time.Hour), Actor: "adv-1", Type: TypePartUploaded, Data: map[string]string{
			KeySide: "advertiser", KeyPart: "2"}},
	)
	tr := seal(t, "s-1", events)
	want := map[PartKey]string{
		{TypePartUploaded, "advertiser", "0"}:         strings.Repeat("01", 32),
		{TypePartUploaded, "advertiser", "1"}:         strings.Repeat("ee", 32),
		{TypePartUploaded, "media_partner", "0"}:      strings.Repeat("a3", 32),
		{TypeReblindedUploaded, "media_partner", "0"}: strings.Repeat("b4", 32),
		{TypeReblindedUploaded, "advertiser", "0"}:    strings.Repeat("c5", 32),
	}
	if got := tr.PartDigests(); !reflect.DeepEqual(got, want) {
		t.Fatalf("PartDigests = %v\nwant %v", got, want)
	}
}
