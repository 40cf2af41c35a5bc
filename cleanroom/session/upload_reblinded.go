package session

import (
	"context"
	"fmt"
	"io"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// PutReblinded validates and stores one part of the caller's re-blinded
// copy of the counterpart set: join digests (kind join), part i holding
// exactly the records of relayed part i. The part that completes the second
// re-blinded set queues the join job in the transaction that records it;
// the receipt says exchanging, and the session says computed once the job
// ran (a failed join is retried by the job runner).
func (s *Service) PutReblinded(ctx context.Context, p Principal, id string, body io.Reader) (api.PartReceipt, error) {
	return s.putPart(ctx, p, id, store.LegReblinded, body, s.newJoinCheck)
}

// newJoinCheck reads the relayed parts of side that the re-blinded parts
// must answer.
func (s *Service) newJoinCheck(ctx context.Context, sess store.Session, side api.Role) (partCheck, error) {
	var relayed []store.Part
	var err error
	if sess.State == api.StateExchanging {
		relayed, err = s.relayed(ctx, sess.ID, side)
	} else {
		err = s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
			relayed, err = tx.Parts(ctx, sess.ID, side, store.LegRelay)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	sid, _ := parseID(sess.ID)
	return &joinCheck{session: sid, relayed: relayed}, nil
}

// joinCheck validates a part of kind join against the relayed part it
// answers.
type joinCheck struct {
	session [idBytes]byte
	relayed []store.Part
	want    store.Part
}

func (c *joinCheck) header(h *wire.Header) error {
	if err := checkHeader(h, wire.KindJoin, c.session); err != nil {
		return err
	}
	if int64(h.Part) >= int64(len(c.relayed)) {
		return fmt.Errorf("%w: part %d, but the counterpart set was relayed in %d parts", ErrInvalidPart, h.Part, len(c.relayed))
	}
	c.want = c.relayed[h.Part]
	if h.First != c.want.First || h.Final != c.want.Final {
		return fmt.Errorf("%w: part %d must start at record %d and be final=%t, as relayed part %d",
			ErrInvalidPart, h.Part, c.want.First, c.want.Final, h.Part)
	}
	return nil
}

func (c *joinCheck) record(i uint64, _ []byte) (bool, error) {
	if i >= c.want.Records {
		return false, c.countError()
	}
	return true, nil
}

func (c *joinCheck) flush() error { return nil }

func (c *joinCheck) done(records uint64) error {
	if records != c.want.Records {
		return c.countError()
	}
	return nil
}

func (c *joinCheck) countError() error {
	return fmt.Errorf("%w: part %d must hold exactly the %d records of relayed part %d",
		ErrInvalidPart, c.want.Index, c.want.Records, c.want.Index)
}
