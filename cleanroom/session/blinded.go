package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/blindjoin/blindjoin/cleanroom/store"
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
func sideEvaluator(sess store.Session, side string) ([]wire.Attr, *policy.Evaluator, error) {
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

// blindedCheck validates a part of kind blinded.
type blindedCheck struct {
	session [idBytes]byte
	attrs   []wire.Attr
	eval    *policy.Evaluator
	part    uint32
}

func newBlindedCheck(_ context.Context, sess store.Session, side string) (partCheck, error) {
	attrs, eval, err := sideEvaluator(sess, side)
	if err != nil {
		return nil, err
	}
	sid, _ := parseID(sess.ID)
	return &blindedCheck{session: sid, attrs: attrs, eval: eval}, nil
}

func (c *blindedCheck) header(h *wire.Header) error {
	if err := checkHeader(h, wire.KindBlinded, c.session); err != nil {
		return err
	}
	if !slices.Equal(h.Attrs, c.attrs) {
		return fmt.Errorf("%w: the attribute list is not the one the session's policy requires for this party", ErrInvalidPart)
	}
	c.part = h.Part
	return nil
}

func (c *blindedCheck) record(i uint64, rec []byte) (bool, error) {
	if _, err := blind.DecodeElement(rec[:wire.ElementSize]); err != nil {
		return false, &ElementError{Part: c.part, Record: i, Reason: elementReason(err)}
	}
	return c.eval.Counts(wire.UnpackAttrs(rec[wire.ElementSize:])), nil
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
