package transcript

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"
)

// testKey is the Ed25519 key with seed 0x01..0x20; its public key and the
// signatures below were computed with Python's cryptography package.
func testKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i + 1)
	}
	return ed25519.NewKeyFromSeed(seed)
}

func testPub() ed25519.PublicKey { return testKey().Public().(ed25519.PublicKey) }

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// katEvents are the two events of the known-answer test.
func katEvents() []Event {
	return []Event{
		{Seq: 1, Time: t0, Actor: "adv", Type: TypeSessionCreated},
		{Seq: 2, Time: t0.Add(1500 * time.Millisecond), Actor: "partner-é", Type: TypePartUploaded, Data: map[string]string{
			KeySide: "advertiser", KeyPart: "0", KeyDigest: "abababababababababababababababababababababababababababababababab", KeyRecords: "1000",
		}},
	}
}

// sessionEvents is a whole session's history.
func sessionEvents() []Event {
	digest := func(c string) string {
		b := make([]byte, 64)
		for i := range b {
			b[i] = c[i%len(c)]
		}
		return string(b)
	}
	return []Event{
		{Seq: 1, Time: t0, Actor: "adv-1", Type: TypeSessionCreated, Data: map[string]string{"policy_hash": digest("9f")}},
		{Seq: 2, Time: t0.Add(time.Minute), Actor: "pub-2", Type: TypeJoined},
		{Seq: 3, Time: t0.Add(2 * time.Minute), Actor: "adv-1", Type: TypePartUploaded, Data: map[string]string{
			KeySide: "advertiser", KeyPart: "0", KeyDigest: digest("01"), KeyRecords: "65536"}},
		{Seq: 4, Time: t0.Add(2*time.Minute + 123456789), Actor: "adv-1", Type: TypePartUploaded, Data: map[string]string{
			KeySide: "advertiser", KeyPart: "1", KeyDigest: digest("02"), KeyRecords: "1200"}},
		{Seq: 5, Time: t0.Add(3 * time.Minute), Actor: "pub-2", Type: TypePartUploaded, Data: map[string]string{
			KeySide: "media_partner", KeyPart: "0", KeyDigest: digest("a3"), KeyRecords: "5000"}},
		{Seq: 6, Time: t0.Add(4 * time.Minute), Actor: "pub-2", Type: TypeReblindedUploaded, Data: map[string]string{
			KeySide: "media_partner", KeyPart: "0", KeyDigest: digest("b4"), KeyRecords: "66736"}},
		{Seq: 7, Time: t0.Add(4 * time.Minute), Actor: "adv-1", Type: TypeReblindedUploaded, Data: map[string]string{
			KeySide: "advertiser", KeyPart: "0", KeyDigest: digest("c5"), KeyRecords: "5000"}},
		{Seq: 8, Time: t0.Add(5 * time.Minute), Actor: "server", Type: TypeComputed, Data: map[string]string{
			ResultCommitmentKey("advertiser"): digest("d6"), ResultCommitmentKey("media_partner"): digest("e7")}},
		{Seq: 9, Time: t0.Add(30 * 24 * time.Hour), Actor: "server", Type: TypePurged, Data: map[string]string{"reason": "retention <30 days> & done"}},
	}
}

func seal(t *testing.T, sessionID string, events []Event) Transcript {
	t.Helper()
	tr, err := Seal(testKey(), "k1", sessionID, events)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func marshal(t *testing.T, tr Transcript) []byte {
	t.Helper()
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
