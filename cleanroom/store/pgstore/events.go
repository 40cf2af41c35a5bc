package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

const eventColumns = `session, seq, time, actor, type, data, head`

func scanEvent(r pgx.Row) (store.Event, error) {
	var e store.Event
	var seq int64
	var at *int64
	if err := r.Scan(&e.Session, &seq, &at, &e.Actor, &e.Type, &e.Data, &e.Head); err != nil {
		return store.Event{}, err
	}
	e.Seq = uint64(seq)
	e.Time = timeCol(at)
	return e, nil
}

func (t *tx) AppendEvent(ctx context.Context, e store.Event) error {
	return t.insert(ctx, "append event", `INSERT INTO events (`+eventColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		e.Session, int64(e.Seq), timeArg(e.Time), e.Actor, e.Type, nonNil(e.Data), nonNil(e.Head))
}

func (t *tx) Events(ctx context.Context, session string) ([]store.Event, error) {
	return list(ctx, t, "events", scanEvent, `SELECT `+eventColumns+` FROM events WHERE session = $1 ORDER BY seq`, session)
}

func (t *tx) LastEvent(ctx context.Context, session string) (store.Event, error) {
	e, err := scanEvent(t.tx.QueryRow(ctx, `SELECT `+eventColumns+` FROM events
		WHERE session = $1 ORDER BY seq DESC LIMIT 1`, session))
	return e, t.wrap("last event", err)
}

// nonNil stores an empty payload as an empty value, not NULL (which the
// NOT NULL columns refuse, while SQLite's driver writes an empty blob).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
