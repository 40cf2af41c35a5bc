package httpapi

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// cannedTranscript is a genuinely sealed two-event transcript.
func cannedTranscript(t *testing.T, id string) transcript.Transcript {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tr, err := transcript.Seal(priv, "k1", id, []transcript.Event{
		{Seq: 1, Time: at, Actor: "acme", Type: transcript.TypeSessionCreated},
		{Seq: 2, Time: at.Add(time.Minute), Actor: "news", Type: transcript.TypeJoined, Data: map[string]string{"policy_hash": "00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
