package session

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// partCheck is the leg-specific validation applied while a part streams in.
type partCheck interface {
	// header vets the part's header before any record is read.
	header(h *wire.Header) error
	// record vets record i of the part (an index within the part) and
	// says whether it counts (is relayed and joined).
	record(i uint64, rec []byte) (counts bool, err error)
	// done runs after the trailer verified, with the part's record count.
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
	st, err := s.stage(id, leg, side, body, check)
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
	rel      string // path relative to the data directory
}

// stage streams body into a new part file while decoding and checking
// it; the file takes its final name only after the trailer verified and the
// data is on disk (see createPart).
func (s *Service) stage(id string, leg store.Leg, side api.Role, body io.Reader, check partCheck) (*staged, error) {
	var st *staged
	rel, err := s.createPart(id, leg, side, func(w io.Writer) (uint32, [32]byte, error) {
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
			return nil, partError(err)
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
			return nil, fmt.Errorf("%w: the set exceeds %d records", ErrTooLarge, s.maxSet)
		}
	}
	s.elements.Add(st.records)
	if err := check.done(st.records); err != nil {
		return nil, err
	}
	st.digest, st.size = rd.Digest(), in.read
	return st, nil
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
