package session

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// The upload path both legs share: a part streams through its leg's check
// into a temporary file (stage), then commit records it, with its
// transcript event and the state change it causes, in one transaction.
// upload_blinded.go and upload_reblinded.go hold what differs per leg.

// partCheck is the leg-specific validation applied while a part streams in.
type partCheck interface {
	// header vets the part's header before any record is read.
	header(h *wire.Header) error
	// record vets record i of the part (an index within the part) and
	// says whether it counts (is relayed and joined). It may defer part of
	// its checks to flush; an error it returns is about record i or one
	// deferred before it.
	record(i uint64, rec []byte) (counts bool, err error)
	// flush runs the checks record deferred and returns the error of the
	// first record that fails them.
	flush() error
	// done runs after the trailer verified and flush, with the part's
	// record count.
	done(records uint64) error
}

// putPart is the upload path of both legs. The caller must be a party and
// the session must accept new parts of leg, or be past that point but not
// beyond computed, where commit only answers re-sends of parts it holds;
// newCheck builds the leg's validation for the session and the caller's
// side, then the part is staged and committed.
func (s *Service) putPart(ctx context.Context, p Principal, id string, leg store.Leg, body io.Reader,
	newCheck func(ctx context.Context, sess store.Session, side api.Role) (partCheck, error)) (api.PartReceipt, error) {
	sess, side, err := s.loadAsParty(ctx, p, id)
	if err != nil {
		return api.PartReceipt{}, err
	}
	if !stateIn(sess.State, openStates(leg)...) && !stateIn(sess.State, api.StateExchanging, api.StateComputed) {
		return api.PartReceipt{}, legStateError(sess.State, leg)
	}
	check, err := newCheck(ctx, sess, side)
	if err != nil {
		return api.PartReceipt{}, err
	}
	st, err := s.stage(ctx, id, leg, side, body, check)
	if err != nil {
		return api.PartReceipt{}, err
	}
	return s.commit(ctx, p, id, leg, st)
}

// staged is a verified part file, durable under its final name but not yet
// recorded in the store.
type staged struct {
	h        wire.Header
	records  uint64
	counting uint64
	digest   [32]byte
	size     int64
	rel      string // blob key (for the default store, the path relative to the data directory)
}

// stage streams body into a new part file while decoding and checking
// it; the file takes its final name only after the trailer verified and the
// data is on disk (see createPart).
func (s *Service) stage(ctx context.Context, id string, leg store.Leg, side api.Role, body io.Reader, check partCheck) (*staged, error) {
	var st *staged
	rel, err := s.createPart(ctx, id, leg, side, func(w io.Writer) (uint32, [32]byte, error) {
		var err error
		st, err = s.decode(w, body, check)
		if err != nil {
			return 0, [32]byte{}, err
		}
		return st.h.Part, st.digest, nil
	})
	if err != nil {
		return nil, err
	}
	st.rel = rel
	return st, nil
}

// decode copies body to w through a wire.Reader, checking the part as it
// goes, and returns what the part holds once its trailer verified.
func (s *Service) decode(w io.Writer, body io.Reader, check partCheck) (*staged, error) {
	in := &limitedReader{r: body, left: s.maxPart}
	rd, err := wire.NewReader(io.TeeReader(in, w))
	if err != nil {
		return nil, partError(err)
	}
	st := &staged{h: rd.Header()}
	if err := check.header(&st.h); err != nil {
		return nil, err
	}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, firstError(check, partError(err))
		}
		counts, err := check.record(st.records, rec)
		if err != nil {
			return nil, err
		}
		st.records++
		if counts {
			st.counting++
		}
		if st.h.First+st.records > s.maxSet {
			return nil, firstError(check, fmt.Errorf("%w: the set exceeds %d records", ErrTooLarge, s.maxSet))
		}
	}
	if err := check.flush(); err != nil {
		return nil, err
	}
	s.elements.Add(st.records)
	if err := check.done(st.records); err != nil {
		return nil, err
	}
	st.digest, st.size = rd.Digest(), in.read
	return st, nil
}

// firstError returns the error of a record whose check was deferred, if
// one fails, else err: a record that arrived before the failure is the
// first error, as if every record were checked on arrival.
func firstError(check partCheck, err error) error {
	if ferr := check.flush(); ferr != nil {
		return ferr
	}
	return err
}

// partError classifies an error of the wire decoder: a part over the size
// limit is ErrTooLarge, anything else makes the part invalid. Both keep the
// wire error (offset and reason, never content) in the chain.
func partError(err error) error {
	if errors.Is(err, wire.ErrTooLarge) || errors.Is(err, errLimit) {
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	return fmt.Errorf("%w: %w", ErrInvalidPart, err)
}

// errLimit is what limitedReader returns past the configured part size.
var errLimit = errors.New("session: part exceeds the configured size limit")

// limitedReader fails, rather than returning EOF like io.LimitReader, once
// more than left bytes are asked for, so that an oversized part is never
// mistaken for a truncated one.
type limitedReader struct {
	r    io.Reader
	left int64
	read int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// A stream that ends exactly at the limit is fine; one more
		// byte is not.
		var b [1]byte
		n, err := l.r.Read(b[:])
		if n > 0 {
			return 0, errLimit
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	l.read += int64(n)
	return n, err
}

// commit records a staged part in the store together with its transcript
// event and the state change it causes, in one transaction. A part equal to
// one already recorded (same index and digest) changes nothing and gets the
// same receipt, with the session's current completeness and state; another
// part with the same index is ErrConflict.
//
// When the part would complete a blinded set that breaks the rules of a
// complete set (checkCompletion: fewer counting records than the policy's
// min_rows, ErrTooFewRows; an element repeated, *DuplicateError), it is
// refused and not recorded, and the session does not move: the party can
// still send it again as a non-final part followed by more records, or let
// the session expire.
func (s *Service) commit(ctx context.Context, p Principal, id string, leg store.Leg, st *staged) (api.PartReceipt, error) {
	rcpt, err := s.commitChecked(ctx, p, id, leg, st)
	if err != nil {
		if refused(err) {
			s.discard(id, st)
		}
		return api.PartReceipt{}, err
	}
	s.log.InfoContext(ctx, "part received", "session", id, "party", p.Party, "leg", string(leg),
		"part", st.h.Part, "records", st.records, "counting", st.counting, "complete", rcpt.Complete,
		"state", rcpt.State)
	return rcpt, nil
}

// errSetChanged reports a blinded set that gained a part between its
// completion check and the transaction that would record the completing
// part; setLock rules it out within one process, not across replicas.
var errSetChanged = fmt.Errorf("%w: the blinded set changed while it was checked", ErrBusy)

// commitChecked runs the completion check of a blinded set, then the
// transaction that records the part.
func (s *Service) commitChecked(ctx context.Context, p Principal, id string, leg store.Leg, st *staged) (api.PartReceipt, error) {
	var checked []store.Part
	if leg == store.LegBlinded {
		unlock := s.locks.lock(setLock(id, p.Party))
		defer unlock()
		var err error
		if checked, err = s.checkCompletion(ctx, p, id, st); err != nil {
			return api.PartReceipt{}, err
		}
	}
	var rcpt api.PartReceipt
	var queued bool // the transaction made a job due
	err := s.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		queued = false
		sess, side, err := party(ctx, tx, p, id)
		if err != nil {
			return err
		}
		parts, err := tx.Parts(ctx, id, side, leg)
		if err != nil {
			return fmt.Errorf("session: parts: %w", err)
		}
		at, found := slices.BinarySearchFunc(parts, st.h.Part, byIndex)
		if found {
			if !bytes.Equal(parts[at].Digest, st.digest[:]) {
				return fmt.Errorf("%w: part %d was already received with other content", ErrConflict, st.h.Part)
			}
			rcpt = receipt(parts[at], statusOf(parts).complete, sess.State)
			return nil
		}
		if !stateIn(sess.State, openStates(leg)...) {
			return legStateError(sess.State, leg)
		}
		part := st.part(id, side, leg, s.now())
		if err := checkPlacement(parts, part); err != nil {
			return err
		}
		parts = slices.Insert(parts, at, part)
		status := statusOf(parts)
		if leg == store.LegBlinded && status.complete && !sameParts(parts, checked) {
			return errSetChanged
		}
		if err := tx.AddPart(ctx, part); err != nil {
			return fmt.Errorf("session: add part: %w", err)
		}
		if sess.State == api.StateJoined { // the session's first part
			if err := moveTo(&sess, api.StateUploading); err != nil {
				return err
			}
		}
		if status.complete {
			// The part that completes the second set of a leg makes the
			// next step due: the relays, or the join.
			other, err := tx.Parts(ctx, id, otherSide(side), leg)
			if err != nil {
				return fmt.Errorf("session: parts: %w", err)
			}
			if queued = statusOf(other).complete; queued {
				if err := s.nextStep(ctx, tx, &sess, leg); err != nil {
					return err
				}
			}
		}
		sess.Updated = s.now()
		if err := tx.UpdateSession(ctx, sess); err != nil {
			return fmt.Errorf("session: update: %w", err)
		}
		if err := s.record(ctx, tx, id, p.Party, partEvent(leg), partData(part, status.complete)); err != nil {
			return err
		}
		rcpt = receipt(part, status.complete, sess.State)
		return nil
	})
	if err == nil && queued {
		s.notify()
	}
	return rcpt, err
}

// setLock names the lock that serializes the commits of one party's
// blinded parts in a session, so that the set checkCompletion read is the
// set its transaction extends. It cannot meet a session id (hex), which
// relay and compute lock.
func setLock(id, party string) string { return id + "/blinded/" + party }

// part is the store record of a staged part.
func (st *staged) part(id string, side api.Role, leg store.Leg, created time.Time) store.Part {
	return store.Part{
		Session: id, Side: side, Leg: leg, Index: st.h.Part, First: st.h.First,
		Records: st.records, Counting: st.counting, Final: st.h.Final,
		Digest: st.digest[:], File: st.rel, Size: st.size, Created: created,
	}
}

// sameParts reports whether two lists of parts are the same parts, index
// for index and digest for digest.
func sameParts(a, b []store.Part) bool {
	return slices.EqualFunc(a, b, func(x, y store.Part) bool {
		return x.Index == y.Index && bytes.Equal(x.Digest, y.Digest)
	})
}

// openStates are the states in which a leg accepts new parts.
func openStates(leg store.Leg) []api.State {
	if leg == store.LegBlinded {
		return []api.State{api.StateJoined, api.StateUploading}
	}
	return []api.State{api.StateExchanging}
}

// legStateError refuses a new part of leg in state.
func legStateError(state api.State, leg store.Leg) error {
	open := openStates(leg)
	want := string(open[0])
	if len(open) > 1 {
		want += " or " + string(open[1])
	}
	return &StateError{State: state, Want: fmt.Sprintf("%s parts are accepted while the session is %s", leg, want)}
}

// checkPlacement checks a new part against the parts of its set already
// recorded: no part beyond the final one, and each part's first record
// index equal to the sum of the records before it, checked against both
// neighbours as they arrive (parts may come in any order).
func checkPlacement(parts []store.Part, p store.Part) error {
	for _, q := range parts {
		switch {
		case q.Final && q.Index < p.Index:
			return fmt.Errorf("%w: part %d follows the final part %d", ErrInvalidPart, p.Index, q.Index)
		case p.Final && q.Index > p.Index:
			return fmt.Errorf("%w: final part %d precedes the received part %d", ErrInvalidPart, p.Index, q.Index)
		case q.Index+1 == p.Index && q.First+q.Records != p.First:
			return fmt.Errorf("%w: part %d starts at record %d, part %d ends at %d",
				ErrInvalidPart, p.Index, p.First, q.Index, q.First+q.Records)
		case p.Index+1 == q.Index && p.First+p.Records != q.First:
			return fmt.Errorf("%w: part %d ends at record %d, part %d starts at %d",
				ErrInvalidPart, p.Index, p.First+p.Records, q.Index, q.First)
		}
	}
	return nil
}

// byIndex orders parts by index, for binary searches.
func byIndex(p store.Part, index uint32) int { return cmp.Compare(p.Index, index) }

// receipt acknowledges a recorded part.
func receipt(p store.Part, complete bool, state api.State) api.PartReceipt {
	return api.PartReceipt{
		Part: p.Index, Records: p.Records, Digest: hex.EncodeToString(p.Digest),
		Final: p.Final, Complete: complete, State: state,
	}
}

// refused reports whether the commit of a part failed on a decision about
// the part itself (the session's state, a conflicting or misplaced part, a
// set that breaks the policy), which an identical part sent to another
// replica at the same moment gets too. After any other failure (a lost
// race, the store, a client gone) the identical part may well be recorded
// by another replica a moment later under the same content-addressed
// name, so the file stays for the blob sweep.
func refused(err error) bool {
	for _, decided := range []error{ErrWrongState, ErrConflict, ErrInvalidPart, ErrTooFewRows, ErrDuplicate, ErrPolicyViolation} {
		if errors.Is(err, decided) {
			return true
		}
	}
	return false
}

// discard deletes the file of a refused part that was not recorded, unless
// the store references it (an identical part recorded by a concurrent
// request shares its name). When in doubt the file stays; the blob sweep
// removes unrecorded files once they are older than Config.BlobGrace.
func (s *Service) discard(id string, st *staged) {
	referenced := true
	err := s.store.ReadOnly(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, side := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
			for _, leg := range []store.Leg{store.LegBlinded, store.LegReblinded} {
				parts, err := tx.Parts(ctx, id, side, leg)
				if err != nil {
					return err
				}
				if slices.ContainsFunc(parts, func(q store.Part) bool { return q.File == st.rel }) {
					return nil
				}
			}
		}
		referenced = false
		return nil
	})
	if err != nil || referenced {
		return
	}
	if err := s.blobs.Delete(context.Background(), st.rel); err != nil {
		s.log.Warn("removing an unrecorded part file failed", "session", id, "error", err)
	}
}
