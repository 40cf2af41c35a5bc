package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
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
	bound, err := identifierBound(sess, sender)
	if err != nil {
		return nil, err
	}
	order, err := s.relayOrder(sess, recipient, shuffle.BucketsFor(bound, s.bucketRecs))
	if err != nil {
		return nil, err
	}
	spilled, err := s.scatterByRelay(sender, attrs, eval, order, wire.ElementSize,
		func(dst []byte, r countingRecord, e int) { copy(dst, r.elems[e*wire.ElementSize:]) })
	if err != nil {
		return nil, err
	}
	defer spilled.Remove()
	parts, err := s.writeRelay(ctx, id, recipient, &relayStream{spilled: spilled, order: order, size: wire.ElementSize})
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
			keyBuckets:            strconv.Itoa(order.Buckets()),
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

// writeRelay writes the set in relay order as parts of kind elements. A
// set of zero records is one empty final part, so the recipient always
// has a part 0 to fetch.
func (s *Service) writeRelay(ctx context.Context, id string, recipient api.Role, set *relayStream) ([]store.Part, error) {
	sid, _ := parseID(id)
	per := uint64(s.relayPartRecords())
	n := set.spilled.Total()
	var parts []store.Part
	for first := uint64(0); first < n || len(parts) == 0; first += per {
		end := min(first+per, n)
		h := wire.Header{Kind: wire.KindElements, Final: end == n, Session: sid, Part: uint32(len(parts)), First: first}
		p, err := s.writePart(ctx, id, recipient, h, func(w *wire.Writer) error {
			for range end - first {
				rec, err := set.next()
				if err != nil {
					return err
				}
				if err := w.WriteRecord(rec); err != nil {
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

// relayOrder returns the server's secret permutation of the counting
// identifiers relayed to recipient (the other side's), computed bucket by
// bucket (shuffle.Bucketed): relay position j carries the identifier the
// bucketed permutation puts at j.
//
// Its key is HMAC-SHA256(server secret, label || session id || relay seed
// || recipient), each input preceded by its uint32 big-endian length. It
// is derived again whenever needed instead of being stored: the database
// holds the seed, but without the server secret the seed says nothing
// about the order. The bucket count is fixed when the relay is prepared
// (shuffle.BucketsFor of identifierBound and the configured bucket size) and recorded in the relayed
// event, which is where the join reads it back (relayBuckets).
func (s *Service) relayOrder(sess store.Session, recipient api.Role, buckets int) (*shuffle.Bucketed, error) {
	m := hmac.New(sha256.New, s.secret)
	for _, part := range [][]byte{[]byte(relayLabel), []byte(sess.ID), sess.RelaySeed, []byte(recipient)} {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(part))))
		m.Write(part)
	}
	order, err := shuffle.NewBucketed([32]byte(m.Sum(nil)), buckets)
	if err != nil {
		return nil, fmt.Errorf("session: relay order: %w", err)
	}
	return order, nil
}

// identifierBound is an upper bound of a set's counting identifiers known
// before reading it: its counting records times the session's match keys.
func identifierBound(sess store.Session, parts []store.Part) (uint64, error) {
	pol, err := policy.Parse(sess.Policy)
	if err != nil {
		return 0, fmt.Errorf("session: stored policy: %w", err)
	}
	return statusOf(parts).counting * uint64(len(pol.Keys(sess.MatchKey))), nil
}

// relayBuckets returns the bucket count the relay to recipient was
// prepared with, from its relayed event. A relay prepared before buckets
// existed records none: it was one permutation of the whole set, which is
// the one-bucket case.
func relayBuckets(ctx context.Context, tx store.Tx, id string, recipient api.Role) (int, error) {
	events, err := tx.Events(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("session: relay buckets: %w", err)
	}
	for _, e := range events {
		if e.Type != typeRelayed {
			continue
		}
		var data map[string]string
		if err := json.Unmarshal(e.Data, &data); err != nil {
			return 0, fmt.Errorf("session: stored relayed event: %w", err)
		}
		if data[transcript.KeySide] != string(recipient) {
			continue
		}
		v, ok := data[keyBuckets]
		if !ok {
			return 1, nil
		}
		b, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("session: stored relayed event has bucket count %q", v)
		}
		return b, nil
	}
	return 0, fmt.Errorf("session: no relayed event for %s", recipient)
}

// scatterByRelay streams a side's counting identifiers (scanSet) into a
// spill with one bucket per bucket of order, in identifier order within
// each bucket: the layout relayStream reads back in relay order. fill
// writes identifier e of record r as a record of size bytes.
func (s *Service) scatterByRelay(parts []store.Part, attrs []wire.Attr, eval *policy.Evaluator, order *shuffle.Bucketed, size int, fill func(dst []byte, r countingRecord, e int)) (*spill.Buckets, error) {
	w, err := spill.Create(s.scratchDir, order.Buckets(), size, s.spillBuffers())
	if err != nil {
		return nil, fmt.Errorf("session: relay scratch: %w", err)
	}
	labels := order.Labels()
	rec := make([]byte, size)
	err = s.scanSet(parts, attrs, eval, func(r countingRecord) error {
		for e := range len(r.elems) / wire.ElementSize {
			fill(rec, r, e)
			if err := w.Add(labels.Next(), rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.Abandon()
		return nil, err
	}
	spilled, err := w.Finish()
	if err != nil {
		return nil, fmt.Errorf("session: relay scratch: %w", err)
	}
	return spilled, nil
}

// relayStream reads spilled records back in relay order, one bucket in
// memory at a time.
type relayStream struct {
	spilled *spill.Buckets
	order   *shuffle.Bucketed
	size    int
	bucket  int      // the next bucket to load
	data    []byte   // the loaded bucket's records
	perm    []uint32 // its order
	j       int      // records of it already read
}

// next returns the record at the next relay position; it is valid until
// the call after the bucket's last record.
func (r *relayStream) next() ([]byte, error) {
	for r.j == len(r.perm) {
		if r.bucket == r.order.Buckets() {
			return nil, fmt.Errorf("session: relay stream read past its end")
		}
		var err error
		if r.data, err = r.spilled.Read(r.bucket, r.data); err != nil {
			return nil, fmt.Errorf("session: relay scratch: %w", err)
		}
		if r.perm, err = r.order.Order(r.bucket, len(r.data)/r.size); err != nil {
			return nil, fmt.Errorf("session: relay order: %w", err)
		}
		r.bucket, r.j = r.bucket+1, 0
	}
	at := int(r.perm[r.j]) * r.size
	r.j++
	return r.data[at : at+r.size], nil
}
