package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"strconv"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/shuffle"
	"github.com/blindjoin/blindjoin/protocol/transcript"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Counterpart opens part n of the other party's counting records, in the
// server's secret order, as wire parts of kind elements. The relayed set is
// written once, by the relay job queued when the session became
// exchanging; a request that comes first waits for it a little, then gets
// ErrNotReady.
func (s *Service) Counterpart(ctx context.Context, p Principal, id string, n int) (Download, error) {
	sess, side, err := s.loadAsParty(ctx, p, id)
	if err != nil {
		return Download{}, err
	}
	if sess.State != api.StateExchanging {
		return Download{}, &StateError{State: sess.State, Want: "the counterpart set is available while the session is exchanging"}
	}
	parts, err := s.relayed(ctx, id, side)
	if err != nil {
		return Download{}, err
	}
	if n < 0 || n >= len(parts) {
		return Download{}, &RequestError{Field: "part", Reason: "must be between 0 and " + strconv.Itoa(len(parts)-1)}
	}
	f, err := s.openPart(ctx, parts[n])
	if err != nil {
		return Download{}, err
	}
	return Download{Parts: len(parts), Size: parts[n].Size, Body: f}, nil
}

// relay returns the relay parts prepared for recipient, writing them first
// if needed: the relay job. The files are deterministic (same keys, same
// bytes), so two runs write the same objects and the transaction records
// them once; a crash half-way only costs the work (the blob sweep deletes
// the unrecorded objects).
func (s *Service) relay(ctx context.Context, id string, recipient api.Role) ([]store.Part, error) {
	unlock := s.locks.lock(id)
	defer unlock()
	var sess store.Session
	var relayed, sender []store.Part
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if sess, err = tx.Session(ctx, id); err != nil {
			return err
		}
		if relayed, err = tx.Parts(ctx, id, recipient, store.LegRelay); err != nil {
			return err
		}
		sender, err = tx.Parts(ctx, id, otherSide(recipient), store.LegBlinded)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("session: relay: %w", err)
	}
	if len(relayed) > 0 {
		return relayed, nil
	}
	if sess.State != api.StateExchanging {
		return nil, &StateError{State: sess.State, Want: "the counterpart set is prepared while the session is exchanging"}
	}
	attrs, eval, err := sideEvaluator(sess, otherSide(recipient))
	if err != nil {
		return nil, err
	}
	// The set about to be loaded is 36 bytes per record of flat slices;
	// collecting first keeps it from coming on top of what the intake,
	// or the other direction's relay, left behind (see compute).
	runtime.GC()
	set, err := s.loadSet(sender, attrs, eval, setFields{elems: true})
	if err != nil {
		return nil, err
	}
	perm, err := s.relayPermutation(sess, recipient, set.n)
	if err != nil {
		return nil, err
	}
	parts, err := s.writeRelay(ctx, id, recipient, set, perm)
	if err != nil {
		return nil, err
	}
	var records uint64
	for _, p := range parts {
		records += p.Records
	}
	err = s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.Session(ctx, id)
		if err != nil {
			return fmt.Errorf("session: relay: %w", err)
		}
		if cur.State != api.StateExchanging {
			return &StateError{State: cur.State, Want: "the counterpart set is prepared while the session is exchanging"}
		}
		recorded, err := tx.Parts(ctx, id, recipient, store.LegRelay)
		if err != nil {
			return fmt.Errorf("session: relay: %w", err)
		}
		if len(recorded) > 0 { // another run got there first
			parts = recorded
			return nil
		}
		for _, p := range parts {
			if err := tx.AddPart(ctx, p); err != nil {
				return fmt.Errorf("session: relay: %w", err)
			}
		}
		return s.record(ctx, tx, id, serverActor, typeRelayed, map[string]string{
			transcript.KeySide:    string(recipient),
			keyParts:              strconv.Itoa(len(parts)),
			transcript.KeyRecords: strconv.FormatUint(records, 10),
		})
	})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "counterpart set prepared", "session", id, "recipient", recipient,
		"parts", len(parts), "records", records)
	return parts, nil
}

// relayPartRecords is the number of records per relayed part.
func (s *Service) relayPartRecords() int {
	max := wire.MaxRecords(wire.Header{Kind: wire.KindElements})
	if s.relayRecs > 0 && s.relayRecs < max {
		return s.relayRecs
	}
	return max
}

// writeRelay writes the permuted set as parts of kind elements. A set of
// zero records is one empty final part, so the recipient always has a
// part 0 to fetch.
func (s *Service) writeRelay(ctx context.Context, id string, recipient api.Role, set *countingSet, perm []uint32) ([]store.Part, error) {
	sid, _ := parseID(id)
	per := s.relayPartRecords()
	var parts []store.Part
	for first := 0; first < set.n || len(parts) == 0; first += per {
		end := min(first+per, set.n)
		h := wire.Header{Kind: wire.KindElements, Final: end == set.n, Session: sid, Part: uint32(len(parts)), First: uint64(first)}
		p, err := s.writePart(ctx, id, recipient, h, func(w *wire.Writer) error {
			for _, pos := range perm[first:end] {
				if err := w.WriteRecord(set.elems[pos][:]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// writePart writes one relay part durably under its final name.
func (s *Service) writePart(ctx context.Context, id string, recipient api.Role, h wire.Header, fill func(*wire.Writer) error) (store.Part, error) {
	var records uint64
	var size int64
	var digest [32]byte
	rel, err := s.createPart(ctx, id, store.LegRelay, recipient, func(out io.Writer) (uint32, [32]byte, error) {
		w, err := wire.NewWriter(out, h)
		if err == nil {
			err = fill(w)
		}
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			return 0, digest, fmt.Errorf("session: relay part: %w", err)
		}
		records, size, digest = w.Records(), w.Size(), w.Digest()
		return h.Part, digest, nil
	})
	if err != nil {
		return store.Part{}, err
	}
	return store.Part{
		Session: id, Side: recipient, Leg: store.LegRelay, Index: h.Part, First: h.First,
		Records: records, Counting: records, Final: h.Final, Digest: digest[:],
		File: rel, Size: size, Created: s.now(),
	}, nil
}

// relayLabel separates the relay permutation keys from every other use of
// the server secret.
const relayLabel = "blindjoin-relay-v1"

// relayPermutation returns the server's secret permutation of the n
// counting records relayed to recipient: relay position j carries counting
// position perm[j] of the other side's set.
//
// The permutation is shuffle.Keyed (Fisher-Yates over an AES-256-CTR
// keystream) with the key HMAC-SHA256(server secret, label || session id
// || relay seed || recipient), each input preceded by its uint32
// big-endian length. It is derived again whenever
// needed instead of being stored: the database holds the seed, but without
// the server secret the seed says nothing about the order.
func (s *Service) relayPermutation(sess store.Session, recipient api.Role, n int) ([]uint32, error) {
	m := hmac.New(sha256.New, s.secret)
	for _, part := range [][]byte{[]byte(relayLabel), []byte(sess.ID), sess.RelaySeed, []byte(recipient)} {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(part))))
		m.Write(part)
	}
	perm, err := shuffle.Keyed([32]byte(m.Sum(nil)), n)
	if err != nil {
		return nil, fmt.Errorf("session: relay permutation: %w", err)
	}
	return perm, nil
}
