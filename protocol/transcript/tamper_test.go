package transcript

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"slices"
	"testing"
	"time"
)

// sameTranscript compares two transcripts by what Verify and a reader see:
// the session id, every event's canonical encoding and the head.
func sameTranscript(a, b Transcript) bool {
	if a.SessionID != b.SessionID || len(a.Events) != len(b.Events) ||
		a.Head.SessionID != b.Head.SessionID || a.Head.Seq != b.Head.Seq || a.Head.Hash != b.Head.Hash ||
		a.Head.KeyID != b.Head.KeyID || !bytes.Equal(a.Head.Signature, b.Head.Signature) {
		return false
	}
	for i := range a.Events {
		if a.Events[i].Time.Location() != b.Events[i].Time.Location() ||
			!bytes.Equal(appendCanonical(nil, a.Events[i]), appendCanonical(nil, b.Events[i])) {
			return false
		}
	}
	return true
}

// TestEveryByteFlipIsCaught changes every byte of a serialized transcript
// in several ways. Each change must make ParseTranscript or Verify fail,
// unless the parsed transcript is exactly the original: with the strict
// parser only the case of a hex digit in a \u escape (JSON spells one
// string two ways) gets there; the count is reported.
func TestEveryByteFlipIsCaught(t *testing.T) {
	orig := seal(t, "6f1c2a9e-sess", sessionEvents())
	b := marshal(t, orig)
	replacements := func(c byte) []byte {
		return []byte{c ^ 0x01, c ^ 0x20, '0', '"'}
	}
	tried, benign := 0, 0
	for i := range b {
		for _, r := range replacements(b[i]) {
			if r == b[i] {
				continue
			}
			mut := slices.Clone(b)
			mut[i] = r
			tried++
			got, err := ParseTranscript(mut)
			if err != nil {
				continue
			}
			if err := Verify(got, testPub()); err != nil {
				continue
			}
			if !sameTranscript(got, orig) {
				t.Fatalf("byte %d changed to %q: a different transcript verifies:\n%s", i, r, mut)
			}
			benign++
		}
	}
	t.Logf("%d single-byte changes over %d bytes, %d accepted as the identical transcript", tried, len(b), benign)
}

// TestEveryValueChangeIsCaught edits each semantic value at the Go level,
// so that even a change the JSON layer could not express is caught by
// Verify.
func TestEveryValueChangeIsCaught(t *testing.T) {
	orig := seal(t, "6f1c2a9e-sess", sessionEvents())
	clone := func() Transcript {
		c := orig
		c.Events = slices.Clone(orig.Events)
		for i := range c.Events {
			if orig.Events[i].Data != nil {
				c.Events[i].Data = map[string]string{}
				for k, v := range orig.Events[i].Data {
					c.Events[i].Data[k] = v
				}
			}
		}
		c.Head.Signature = slices.Clone(orig.Head.Signature)
		return c
	}
	flip := func(s string, j int) string {
		b := []byte(s)
		b[j] ^= 0x01
		return string(b)
	}
	mutations := 0
	check := func(what string, c Transcript) {
		t.Helper()
		mutations++
		if err := Verify(c, testPub()); err == nil {
			t.Errorf("%s: tampered transcript verifies", what)
		}
	}
	for i, e := range orig.Events {
		c := clone()
		c.Events[i].Time = e.Time.Add(time.Nanosecond)
		check("time", c)
		for j := range e.Actor {
			c := clone()
			c.Events[i].Actor = flip(e.Actor, j)
			check("actor", c)
		}
		for j := range e.Type {
			c := clone()
			c.Events[i].Type = flip(e.Type, j)
			check("type", c)
		}
		for k, v := range e.Data {
			for j := range v {
				c := clone()
				c.Events[i].Data[k] = flip(v, j)
				check("data value", c)
			}
			for j := range k {
				c := clone()
				delete(c.Events[i].Data, k)
				c.Events[i].Data[flip(k, j)] = v
				check("data key", c)
			}
			c := clone()
			delete(c.Events[i].Data, k)
			check("data entry removed", c)
		}
		c = clone()
		if c.Events[i].Data == nil {
			c.Events[i].Data = map[string]string{}
		}
		c.Events[i].Data["extra"] = ""
		check("data entry added", c)
	}
	for j := range orig.SessionID {
		c := clone()
		c.SessionID = flip(orig.SessionID, j)
		c.Head.SessionID = c.SessionID
		check("session id", c)
	}
	for j := range orig.Head.KeyID {
		c := clone()
		c.Head.KeyID = flip(orig.Head.KeyID, j)
		check("key id", c)
	}
	for j := range orig.Head.Hash {
		c := clone()
		c.Head.Hash[j] ^= 0x80
		check("head hash", c)
	}
	for j := range orig.Head.Signature {
		c := clone()
		c.Head.Signature[j] ^= 0x04
		check("signature", c)
	}
	c := clone()
	c.Head.Seq++
	check("head seq", c)
	t.Logf("%d value mutations", mutations)
}

func TestStructuralTampering(t *testing.T) {
	events := sessionEvents()
	orig := seal(t, "s-1", events)
	if err := Verify(orig, testPub()); err != nil {
		t.Fatal(err)
	}
	with := func(evs []Event) Transcript {
		c := orig
		c.Events = evs
		return c
	}
	renumber := func(evs []Event) []Event {
		out := slices.Clone(evs)
		for i := range out {
			out[i].Seq = uint64(i) + 1
		}
		return out
	}
	var ee *EventError
	swapped := slices.Clone(events)
	swapped[2], swapped[3] = swapped[3], swapped[2]

	tests := []struct {
		name  string
		tr    Transcript
		want  error
		index int // for *EventError
	}{
		{"reordered", with(swapped), ErrSeq, 2},
		{"reordered and renumbered", with(renumber(swapped)), ErrTimeOrder, 3},
		{"reordered, same time, renumbered", with(renumber(append(slices.Clone(events[:5]), events[6], events[5], events[7], events[8]))), ErrChain, -1},
		{"dropped middle event", with(slices.Delete(slices.Clone(events), 4, 5)), ErrSeq, 4},
		{"dropped and renumbered", with(renumber(slices.Delete(slices.Clone(events), 4, 5))), ErrHeadSeq, -1},
		{"truncated chain", with(events[:7]), ErrHeadSeq, -1},
		{"duplicated event", with(append(slices.Clone(events), events[8])), ErrSeq, 9},
		{"extra event", with(append(slices.Clone(events), Event{Seq: 10, Time: t0.Add(31 * 24 * time.Hour), Actor: "x", Type: "expired"})), ErrHeadSeq, -1},
		{"no events", with(nil), ErrEmpty, -1},
		{"first seq 0", with(renumber(events)[1:]), ErrSeq, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.tr, testPub())
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.index >= 0 && (!errors.As(err, &ee) || ee.Index != tc.index) {
				t.Fatalf("err = %v, want an *EventError at index %d", err, tc.index)
			}
		})
	}
}

func TestTruncatedAndResigned(t *testing.T) {
	// An attacker who drops the last events and signs a new head with its
	// own key is refused by the server key; signing with the right key
	// requires the server.
	events := sessionEvents()
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	forged, err := Seal(other, "k1", "s-1", events[:7])
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(forged, testPub()); !errors.Is(err, ErrSignature) {
		t.Fatalf("forged head: err = %v", err)
	}
	// The genuine prefix of a session is a valid transcript on its own (as
	// the server would have returned it at that time) ...
	if err := Verify(seal(t, "s-1", events[:7]), testPub()); err != nil {
		t.Fatal(err)
	}
	// ... but not for another session.
	moved := seal(t, "s-1", events)
	moved.SessionID, moved.Head.SessionID = "s-2", "s-2"
	if err := Verify(moved, testPub()); !errors.Is(err, ErrChain) {
		t.Fatalf("moved to another session: err = %v", err)
	}
	half := seal(t, "s-1", events)
	half.Head.SessionID = "s-2"
	if err := Verify(half, testPub()); !errors.Is(err, ErrSession) {
		t.Fatalf("head of another session: err = %v", err)
	}
}

func TestWrongKey(t *testing.T) {
	tr := seal(t, "s-1", sessionEvents())
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)).Public().(ed25519.PublicKey)
	if err := Verify(tr, other); !errors.Is(err, ErrSignature) {
		t.Fatalf("wrong key: err = %v", err)
	}
	for _, pub := range []ed25519.PublicKey{nil, testPub()[:31], append(slices.Clone(testPub()), 0)} {
		if err := Verify(tr, pub); !errors.Is(err, ErrKey) {
			t.Errorf("key of %d bytes: err = %v", len(pub), err)
		}
	}
}
