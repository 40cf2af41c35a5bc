package session

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// serverActor is the actor of events the service causes on its own (the
// join, retention, expiry).
const serverActor = "server"

// Event types beyond those protocol/transcript names.
const (
	// typeRelayed records that a set was permuted and prepared for the
	// other party: side (the recipient), parts, records, and the bucket
	// count of its permutation (relayOrder).
	typeRelayed = "relayed"
)

// Extra data keys of this package's events.
const (
	keyFirst    = "first"
	keyCounting = "counting"
	keyFinal    = "final"
	keyComplete = "complete"
	keyParts    = "parts"
	keyBuckets  = "buckets"
	keyReason   = "reason"
	keyRefunded = "dp_refunded"
	keyEpsilon  = "dp_epsilon"
	keyPolicy   = "policy_hash"
)

// record appends an event to a session's transcript inside tx, chaining it
// to the stored head. Event times never go backwards, even if the clock
// does, because Verify refuses a chain whose times decrease.
func (s *Service) record(ctx context.Context, tx store.Tx, id, actor, typ string, data map[string]string) error {
	prev := transcript.Genesis(id)
	e := transcript.Event{Seq: 1, Time: s.now(), Actor: actor, Type: typ, Data: data}
	last, err := tx.LastEvent(ctx, id)
	switch {
	case err == nil:
		if len(last.Head) != len(prev) {
			return fmt.Errorf("session: stored transcript head is corrupt")
		}
		copy(prev[:], last.Head)
		e.Seq = last.Seq + 1
		if e.Time.Before(last.Time) {
			e.Time = last.Time
		}
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("session: transcript: %w", err)
	}
	if err := e.Validate(); err != nil {
		return fmt.Errorf("session: transcript event: %w", err)
	}
	raw, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("session: transcript event: %w", err)
	}
	head := transcript.Append(prev, e)
	err = tx.AppendEvent(ctx, store.Event{Session: id, Seq: e.Seq, Time: e.Time, Actor: actor, Type: typ, Data: raw, Head: head[:]})
	if err != nil {
		return fmt.Errorf("session: transcript: %w", err)
	}
	return nil
}

// createdData describes a new session.
func createdData(sess store.Session, pol policy.Policy) map[string]string {
	d := map[string]string{
		"advertiser": sess.Advertiser,
		"partner":    sess.Partner,
		"match_key":  sess.MatchKey,
		keyPolicy:    sess.PolicyHash,
		"segments":   strconv.Itoa(len(sess.Segments)),
		"auditors":   strconv.Itoa(len(sess.Auditors)),
	}
	if pol.DP != nil {
		d[keyEpsilon] = strconv.FormatFloat(pol.DP.Epsilon, 'g', -1, 64)
	}
	return d
}

// partEvent is the transcript type of a part of leg.
func partEvent(leg store.Leg) string {
	if leg == store.LegBlinded {
		return transcript.TypePartUploaded
	}
	return transcript.TypeReblindedUploaded
}

// partData describes a recorded part; the digest lets its sender check
// that the server holds exactly what it sent.
func partData(p store.Part, complete bool) map[string]string {
	return map[string]string{
		transcript.KeySide:    string(p.Side),
		transcript.KeyPart:    strconv.FormatUint(uint64(p.Index), 10),
		transcript.KeyDigest:  hex.EncodeToString(p.Digest),
		transcript.KeyRecords: strconv.FormatUint(p.Records, 10),
		keyFirst:              strconv.FormatUint(p.First, 10),
		keyCounting:           strconv.FormatUint(p.Counting, 10),
		keyFinal:              strconv.FormatBool(p.Final),
		keyComplete:           strconv.FormatBool(complete),
	}
}

// Transcript returns a session's events with a head signed now. Members and
// the session's auditors may read it in every state.
func (s *Service) Transcript(ctx context.Context, p Principal, id string) (transcript.Transcript, error) {
	var stored []store.Event
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, _, err := member(ctx, tx, p, id); err != nil {
			return err
		}
		var err error
		stored, err = tx.Events(ctx, id)
		if err != nil {
			return fmt.Errorf("session: transcript: %w", err)
		}
		return nil
	})
	if err != nil {
		return transcript.Transcript{}, err
	}
	events := make([]transcript.Event, len(stored))
	for i, e := range stored {
		events[i] = transcript.Event{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Type: e.Type}
		if err := json.Unmarshal(e.Data, &events[i].Data); err != nil {
			return transcript.Transcript{}, fmt.Errorf("session: stored transcript event: %w", err)
		}
	}
	t, err := transcript.Seal(s.signKey, s.keyID(), id, events)
	if err != nil {
		return transcript.Transcript{}, fmt.Errorf("session: seal transcript: %w", err)
	}
	// The chain was hashed event by event as it grew; a head that differs
	// now means the stored events were altered behind the service's back.
	if !bytes.Equal(stored[len(stored)-1].Head, t.Head.Hash[:]) {
		return transcript.Transcript{}, errors.New("session: stored transcript does not match its recorded head")
	}
	return t, nil
}

// keyID names the transcript signing key (transcript.KeyID).
func (s *Service) keyID() string {
	return transcript.KeyID(s.TranscriptPublicKey())
}
