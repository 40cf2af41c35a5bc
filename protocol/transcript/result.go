package transcript

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
)

// ResultNonceSize is the length of the random nonce of a result commitment.
const ResultNonceSize = 32

// resultLabel separates result commitments from every other SHA-256 input
// of the protocol.
const resultLabel = "blindjoin-result-v1"

// Keys under which transcripts recorded before result commitments carry an
// unsalted SHA-256 of each side's results. Such a digest of the
// advertiser's results can be inverted by the media partner, who knows
// every field but the segment counts and can enumerate those; they are
// read here only so that old transcripts can still be checked.
const (
	legacyAdvertiserDigestKey = "result_digest"
	legacyPartnerDigestKey    = "partner_result_digest"
)

var legacyResultKeys = map[string]string{
	"advertiser":    legacyAdvertiserDigestKey,
	"media_partner": legacyPartnerDigestKey,
}

var (
	// ErrNotComputed: the transcript has no computed event (yet).
	ErrNotComputed = errors.New("transcript: the session was not computed")
	// ErrResultNotRecorded: the computed event holds no well-formed
	// commitment (or legacy digest) for a side, or there are several.
	ErrResultNotRecorded = errors.New("transcript: results not recorded")
	// ErrResultMismatch: the results, nonce and side do not open the
	// commitment the transcript holds for that side.
	ErrResultMismatch = errors.New("transcript: results do not match the transcript")
	// ErrLegacyResultDigest: the computed event holds the unsalted digests
	// of transcripts recorded before result commitments.
	ErrLegacyResultDigest = errors.New("transcript: results recorded as unsalted digests (pre-commitment transcript)")
	// ErrResultTooLarge: results of 4 GiB or more, whose length the
	// commitment's 32-bit length prefix cannot hold.
	ErrResultTooLarge = errors.New("transcript: results too large to commit (4 GiB or more)")
)

// ResultCommitmentKey is the Event.Data key of the computed event that
// holds side's result commitment: "advertiser_result_commitment" or
// "media_partner_result_commitment".
func ResultCommitmentKey(side string) string {
	return side + "_result_commitment"
}

// CommitResult returns the commitment to one side's results, in lowercase
// hex:
//
//	SHA-256(str("blindjoin-result-v1") || str(session_id) || str(side) || str(nonce) || str(results))
//
// with str as in the chain encoding. The nonce is ResultNonceSize random
// bytes that only the results' owner receives: without it, the commitment
// says nothing about the results, however few values they can take.
func CommitResult(sessionID, side string, nonce, results []byte) (string, error) {
	c, err := NewResultCommitment(sessionID, side, nonce, int64(len(results)))
	if err != nil {
		return "", err
	}
	c.Write(results)
	return c.Sum()
}

// ResultCommitment computes CommitResult over results written to it in
// pieces, for results too large to hold in memory (a media partner's
// activation can be hundreds of megabytes). Their length comes first in
// the hashed encoding, so it must be known before the first byte.
type ResultCommitment struct {
	h          hash.Hash
	size, seen int64
}

// NewResultCommitment starts the commitment to size bytes of side's
// results. str's length prefix is 32 bits: results of 4 GiB or more
// cannot be committed, and are refused with ErrResultTooLarge.
func NewResultCommitment(sessionID, side string, nonce []byte, size int64) (*ResultCommitment, error) {
	if len(nonce) != ResultNonceSize {
		return nil, fmt.Errorf("transcript: result nonce of %d bytes, want %d", len(nonce), ResultNonceSize)
	}
	if size < 0 || size > math.MaxUint32 {
		return nil, fmt.Errorf("%w: %d bytes", ErrResultTooLarge, size)
	}
	h := sha256.New()
	for _, field := range [][]byte{[]byte(resultLabel), []byte(sessionID), []byte(side), nonce} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(field))))
		h.Write(field)
	}
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(size)))
	return &ResultCommitment{h: h, size: size}, nil
}

// Write hashes the next bytes of the results; it never fails.
func (c *ResultCommitment) Write(p []byte) (int, error) {
	c.seen += int64(len(p))
	return c.h.Write(p)
}

// Sum returns the commitment, in lowercase hex, once exactly the size
// announced has been written.
func (c *ResultCommitment) Sum() (string, error) {
	if c.seen != c.size {
		return "", fmt.Errorf("transcript: %d bytes of results written to a commitment of %d", c.seen, c.size)
	}
	return hex.EncodeToString(c.h.Sum(nil)), nil
}

// ResultCommitments returns the result commitment of each side from the
// transcript's computed event, checking that there is exactly one such
// event and that both commitments are SHA-256 values in lowercase hex. It
// is what anyone holding the transcript can check without the results: a
// transcript without a computed event gives ErrNotComputed, one recorded
// before commitments ErrLegacyResultDigest.
func (t Transcript) ResultCommitments() (map[string]string, error) {
	e, err := t.computedEvent()
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(legacyResultKeys))
	for _, side := range []string{"advertiser", "media_partner"} { // fixed order: the same error every time
		legacyKey := legacyResultKeys[side]
		c, ok := e.Data[ResultCommitmentKey(side)]
		if !ok {
			if _, legacy := e.Data[legacyKey]; legacy {
				return nil, ErrLegacyResultDigest
			}
		}
		if _, ok := decodeHex(c, sha256.Size); !ok {
			return nil, fmt.Errorf("%w: the computed event has no well-formed %s commitment", ErrResultNotRecorded, side)
		}
		out[side] = c
	}
	return out, nil
}

// CheckResult checks that results, the JSON of side's results that the
// commitment covers, and nonce, which came with them, open side's
// commitment in the computed event. In a pre-commitment transcript, which
// holds an unsalted digest instead, the nonce must be empty and results
// must hash to that digest. Call Verify first: the answer is only as good
// as the transcript.
func (t Transcript) CheckResult(side string, nonce, results []byte) error {
	e, err := t.computedEvent()
	if err != nil {
		return err
	}
	want, ok := e.Data[ResultCommitmentKey(side)]
	var got string
	switch {
	case ok && len(nonce) == ResultNonceSize:
		got, _ = CommitResult(t.SessionID, side, nonce, results)
	case ok:
		return fmt.Errorf("%w: the results carry no %d-byte nonce to open the %s commitment", ErrResultMismatch, ResultNonceSize, side)
	case len(nonce) == 0 && e.Data[legacyResultKeys[side]] != "":
		want = e.Data[legacyResultKeys[side]]
		sum := sha256.Sum256(results)
		got = hex.EncodeToString(sum[:])
	default:
		return fmt.Errorf("%w: the computed event holds nothing to check %s results against", ErrResultNotRecorded, side)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return fmt.Errorf("%w: the %s results are not those the clean room recorded", ErrResultMismatch, side)
	}
	return nil
}

// computedEvent is the transcript's one computed event.
func (t Transcript) computedEvent() (Event, error) {
	var found []Event
	for _, e := range t.Events {
		if e.Type == TypeComputed {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return Event{}, ErrNotComputed
	case 1:
		return found[0], nil
	default:
		return Event{}, fmt.Errorf("%w: %d computed events", ErrResultNotRecorded, len(found))
	}
}
