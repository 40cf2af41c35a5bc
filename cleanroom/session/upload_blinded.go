package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// PutBlinded validates and stores one part of the caller's blinded set
// while it streams in (see commit for idempotence and completion). Every
// element must be a canonical, non-identity ristretto255 encoding; records
// whose attribute bits fail the policy's count rule are stored but never
// relayed nor joined.
func (s *Service) PutBlinded(ctx context.Context, p Principal, id string, body io.Reader) (api.PartReceipt, error) {
	return s.putPart(ctx, p, id, store.LegBlinded, body, newBlindedCheck)
}

// sideEvaluator returns the attribute list a side must declare and the
// evaluator of the session's policy over it: the advertiser declares the
// session's segments after the policy's purposes, the media partner none.
func sideEvaluator(sess store.Session, side api.Role) ([]wire.Attr, *policy.Evaluator, error) {
	pol, err := policy.Parse(sess.Policy)
	if err != nil {
		return nil, nil, fmt.Errorf("session: stored policy: %w", err)
	}
	segments := 0
	if side == api.RoleAdvertiser {
		segments = len(sess.Segments)
	}
	attrs, err := pol.Attrs(segments)
	if err != nil {
		return nil, nil, fmt.Errorf("session: stored policy: %w", err)
	}
	eval, err := policy.NewEvaluator(pol, attrs)
	if err != nil {
		return nil, nil, fmt.Errorf("session: stored policy: %w", err)
	}
	return attrs, eval, nil
}

// blindedCheck validates a part of kind blinded. It checks the elements
// in groups of checkGroup as they stream in (blind.CheckElements, several
// times cheaper per element than blind.DecodeElement), so the part is
// never held in memory.
type blindedCheck struct {
	session [idBytes]byte
	attrs   []wire.Attr
	eval    *policy.Evaluator
	part    uint32
	layout  wire.Header     // the part's header: how its records split
	pending []blind.Element // elements not yet checked
	records []uint64        // the record index of each pending element
}

// checkGroup is the number of elements blindedCheck checks at once: the
// group blind.CheckElements works on.
const checkGroup = 64

func newBlindedCheck(_ context.Context, sess store.Session, side api.Role) (partCheck, error) {
	attrs, eval, err := sideEvaluator(sess, side)
	if err != nil {
		return nil, err
	}
	sid, _ := parseID(sess.ID)
	return &blindedCheck{session: sid, attrs: attrs, eval: eval, pending: make([]blind.Element, 0, checkGroup)}, nil
}

func (c *blindedCheck) header(h *wire.Header) error {
	if err := checkHeader(h, wire.KindBlinded, c.session); err != nil {
		return err
	}
	if !slices.Equal(h.Attrs, c.attrs) {
		return &AttrsError{Reason: attrsMismatch(h.Attrs, c.attrs)}
	}
	c.part, c.layout = h.Part, *h
	return nil
}

// attrsMismatch says why a part's attribute list is not the session's,
// naming match keys, which are no secret, when they are the reason.
func attrsMismatch(got, want []wire.Attr) string {
	for _, a := range got {
		if a.Kind == wire.AttrKey && !slices.Contains(want, a) {
			return "the part carries presence bits for match key " + policy.KeyName(a.Value) + ", which the session does not match on"
		}
	}
	for _, a := range want {
		if a.Kind == wire.AttrKey && !slices.Contains(got, a) {
			return "the part lacks the presence bit of match key " + policy.KeyName(a.Value) + " (a key the party does not have is a bit set on no row)"
		}
	}
	return "the attribute list is not the one the session's policy requires for this party"
}

// record checks every element of a record: one in a one-key session, one
// per present key in a keyed part (the wire reader has checked that the
// presence bits and the elements agree).
func (c *blindedCheck) record(i uint64, rec []byte) (bool, error) {
	bits, elems := c.layout.SplitRecord(rec)
	for e := 0; e < len(elems); e += wire.ElementSize {
		c.pending = append(c.pending, blind.Element(elems[e:e+wire.ElementSize]))
		c.records = append(c.records, i)
	}
	if len(c.pending) >= checkGroup {
		if err := c.flush(); err != nil {
			return false, err
		}
	}
	return c.eval.Counts(bits), nil
}

// flush checks the pending elements: each must be one blind.DecodeElement
// accepts, and the first that is not is the part's *ElementError.
func (c *blindedCheck) flush() error {
	err := blind.CheckElements(c.pending)
	if be, ok := errors.AsType[*blind.BatchError](err); ok {
		err = &ElementError{Part: c.part, Record: c.records[be.Index], Reason: elementReason(be.Err)}
	}
	c.pending, c.records = c.pending[:0], c.records[:0]
	return err
}

func (c *blindedCheck) done(uint64) error { return nil }

// checkHeader checks the fields every uploaded part shares: its kind and
// its session.
func checkHeader(h *wire.Header, kind wire.Kind, session [idBytes]byte) error {
	if h.Kind != kind {
		return fmt.Errorf("%w: part kind %s, want %s", ErrInvalidPart, h.Kind, kind)
	}
	if h.Session != session {
		return fmt.Errorf("%w: the part belongs to another session", ErrInvalidPart)
	}
	return nil
}

// elementReason says why an element was refused, in words that hold no
// element bytes.
func elementReason(err error) string {
	switch {
	case errors.Is(err, blind.ErrIdentity):
		return "identity element"
	case errors.Is(err, blind.ErrNonCanonical):
		return "not a canonical ristretto255 encoding"
	}
	return "invalid element"
}

// checkCompletion applies the rules of a complete blinded set to the set
// that st would complete, before the part is recorded: the set's counting
// records must be at least the policy's min_rows, and no two of them may
// be the same element (checkDistinct), so that min_rows and every
// threshold after it count distinct people. It returns the parts of the
// checked set, in index order, or nil when st completes nothing (a re-send,
// a misplaced part or a set still missing parts: commit deals with those).
//
// The check reads the whole set from disk, so it runs outside the store
// transaction; the caller holds setLock(id, party) from before the check
// until its transaction ended, and the transaction records st only if the
// set is still the one checked (sameParts).
func (s *Service) checkCompletion(ctx context.Context, p Principal, id string, st *staged) ([]store.Part, error) {
	var sess store.Session
	var side api.Role
	var parts []store.Part
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if sess, side, err = party(ctx, tx, p, id); err != nil {
			return err
		}
		if parts, err = tx.Parts(ctx, id, side, store.LegBlinded); err != nil {
			return fmt.Errorf("session: parts: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	at, found := slices.BinarySearchFunc(parts, st.h.Part, byIndex)
	part := st.part(id, side, store.LegBlinded, s.now())
	if found || checkPlacement(parts, part) != nil {
		return nil, nil
	}
	parts = slices.Insert(parts, at, part)
	status := statusOf(parts)
	if !status.complete {
		return nil, nil
	}
	pol, err := policy.Parse(sess.Policy)
	if err != nil {
		return nil, fmt.Errorf("session: stored policy: %w", err)
	}
	if status.counting < uint64(pol.MinRows) {
		return nil, fmt.Errorf("%w: the set would hold %d counting records, the policy needs %d",
			ErrTooFewRows, status.counting, pol.MinRows)
	}
	if err := s.checkDistinct(sess, side, parts); err != nil {
		return nil, err
	}
	return parts, nil
}

// checkDistinct refuses a blinded set in which the same element occurs
// twice among the counting records (a *DuplicateError): on two rows, or,
// in a multi-key session, under two keys (protocol/SPEC.md, multi-key rule
// 6; an honest tool never produces the second, since identifiers of
// different keys never normalize alike). A party blinds every identifier
// with one key, so two rows of one identifier give byte-identical elements
// and the server sees them exactly, without learning anything else; two
// different identifiers never do, short of a hash-to-group collision
// (protocol/SPEC.md section 8). Refusing,
// rather than collapsing, keeps the set the party uploaded the set that is
// relayed and joined, record for record, and tells an honest client with a
// bug that it has one; a party that repeats one person to push a count
// over a threshold gets nothing.
//
// Only counting records are compared: the others are never relayed,
// joined or counted. Memory stays within the budget whatever the set's
// size: the elements are scattered on scratch disk into buckets by a keyed
// hash of the element (router; equal elements share a bucket), as many as
// it takes for a bucket's elements (32 bytes each) to fit (fanOut), and
// each bucket is sorted and counted on its own. A bucket that one element
// repeated many times makes too large is counted as it loads (makeRoom).
func (s *Service) checkDistinct(sess store.Session, side api.Role, parts []store.Part) error {
	attrs, eval, err := sideEvaluator(sess, side)
	if err != nil {
		return err
	}
	bound, err := identifierBound(sess, parts)
	if err != nil {
		return err
	}
	route := newRouter(s.fanOut(bound, wire.ElementSize, 0))
	w, err := spill.Create(s.scratchDir, route.buckets, wire.ElementSize, s.spillBuffers())
	if err != nil {
		return fmt.Errorf("session: duplicate check scratch: %w", err)
	}
	err = s.scanSet(parts, attrs, eval, func(r countingRecord) error {
		for e := 0; e < len(r.elems); e += wire.ElementSize {
			elem := r.elems[e : e+wire.ElementSize]
			if err := w.Add(route.bucket(elem), elem); err != nil {
				return fmt.Errorf("session: duplicate check scratch: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		w.Abandon()
		return err
	}
	spilled, err := w.Finish()
	if err != nil {
		return fmt.Errorf("session: duplicate check scratch: %w", err)
	}
	defer spilled.Remove()
	elems := make([][wire.ElementSize]byte, 0, bucketCapacity(spilled))
	var n uint64
	for k := range spilled.Count() {
		elems = elems[:0]
		err := spilled.Each(k, func(rec []byte) error {
			var dropped uint64
			elems, dropped = makeRoom(elems, elementOrder)
			n += dropped
			elems = append(elems, [wire.ElementSize]byte(rec))
			return nil
		})
		if err != nil {
			return fmt.Errorf("session: duplicate check scratch: %w", err)
		}
		// The repeats still in the bucket: makeRoom as if it were full.
		_, dropped := makeRoom(elems[:len(elems):len(elems)], elementOrder)
		n += dropped
	}
	if n > 0 {
		return &DuplicateError{Repeats: n}
	}
	return nil
}

// elementOrder sorts blinded elements by their bytes.
var elementOrder = recordOrder[[wire.ElementSize]byte]{
	key: func(e *[wire.ElementSize]byte) uint64 { return binary.BigEndian.Uint64(e[:8]) },
	cmp: func(a, b [wire.ElementSize]byte) int { return bytes.Compare(a[:], b[:]) },
	eq:  func(a, b [wire.ElementSize]byte) bool { return a == b },
}
