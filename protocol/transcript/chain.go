package transcript

import (
	"crypto/ed25519"
	"crypto/sha256"
)

// domain separates transcript hashes and signatures from any other use of
// SHA-256 or of the server's key.
const domain = "blindjoin-transcript-v1"

// Genesis returns head_0 of a session: SHA-256(domain || session_id).
func Genesis(sessionID string) [32]byte {
	return sha256.Sum256([]byte(domain + sessionID))
}

// Append returns the head after e: SHA-256(prev || canonical(e)). Check the
// event with Validate first; Verify refuses chains with invalid events.
func Append(prev [32]byte, e Event) [32]byte {
	b := make([]byte, 0, 256)
	b = append(b, prev[:]...)
	return sha256.Sum256(appendCanonical(b, e))
}

// Seal builds the signed transcript of a session's events: it checks them
// as Verify would, chains them and signs the head with priv under keyID.
func Seal(priv ed25519.PrivateKey, keyID, sessionID string, events []Event) (Transcript, error) {
	if !validID(sessionID) {
		return Transcript{}, ErrSession
	}
	if err := checkEvents(events); err != nil {
		return Transcript{}, err
	}
	hash, err := chainHash(sessionID, events)
	if err != nil {
		return Transcript{}, err
	}
	head, err := Sign(priv, keyID, sessionID, uint64(len(events)), hash)
	if err != nil {
		return Transcript{}, err
	}
	return Transcript{SessionID: sessionID, Events: events, Head: head}, nil
}

// chainHash checks that events are numbered 1..n with non-decreasing times
// and returns head_n.
func chainHash(sessionID string, events []Event) ([32]byte, error) {
	h := Genesis(sessionID)
	for i, e := range events {
		if e.Seq != uint64(i)+1 {
			return h, &EventError{Index: i, Seq: e.Seq, Err: ErrSeq}
		}
		if i > 0 && e.Time.Before(events[i-1].Time) {
			return h, &EventError{Index: i, Seq: e.Seq, Err: ErrTimeOrder}
		}
		h = Append(h, e)
	}
	return h, nil
}

// checkEvents checks that there are events and that each is valid.
func checkEvents(events []Event) error {
	if len(events) == 0 {
		return ErrEmpty
	}
	for i, e := range events {
		if err := e.Validate(); err != nil {
			return &EventError{Index: i, Seq: e.Seq, Err: err}
		}
	}
	return nil
}
