package sqlitestore

import (
	"context"
	"database/sql"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

const eventColumns = `session, seq, time, actor, type, data, head`

func scanEvent(s scanner) (store.Event, error) {
	var e store.Event
	var seq int64
	var at sql.NullInt64
	if err := s.Scan(&e.Session, &seq, &at, &e.Actor, &e.Type, &e.Data, &e.Head); err != nil {
		return store.Event{}, err
	}
	e.Seq = uint64(seq)
	e.Time = timeCol(at)
	return e, nil
}

func (t *tx) AppendEvent(ctx context.Context, e store.Event) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Session, int64(e.Seq), timeArg(e.Time), e.Actor, e.Type, e.Data, e.Head)
	return wrap("append event", err)
}

func (t *tx) Events(ctx context.Context, session string) ([]store.Event, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE session = ? ORDER BY seq`, session)
	if err != nil {
		return nil, wrap("events", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, wrap("events", err)
		}
		out = append(out, e)
	}
	return out, wrap("events", rows.Err())
}

func (t *tx) LastEvent(ctx context.Context, session string) (store.Event, error) {
	e, err := scanEvent(t.tx.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE session = ? ORDER BY seq DESC LIMIT 1`, session))
	return e, wrap("last event", err)
}
