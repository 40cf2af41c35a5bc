package transcript

import (
	"crypto/ed25519"
	"fmt"
)

// Verify checks t against the server's public key: the session ids agree,
// every event is valid, events are numbered 1..n with non-decreasing times,
// they hash to the head's hash, the head covers exactly n events, and the
// head's signature is valid. Event problems are *EventError; the others
// wrap the package's sentinels.
func Verify(t Transcript, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return ErrKey
	}
	if err := t.checkFields(); err != nil {
		return err
	}
	hash, err := chainHash(t.SessionID, t.Events)
	if err != nil {
		return err
	}
	if t.Head.Seq != uint64(len(t.Events)) {
		return fmt.Errorf("%w: head covers %d events, transcript has %d", ErrHeadSeq, t.Head.Seq, len(t.Events))
	}
	if hash != t.Head.Hash {
		return ErrChain
	}
	if !ed25519.Verify(pub, t.Head.signedMessage(), t.Head.Signature) {
		return ErrSignature
	}
	return nil
}
