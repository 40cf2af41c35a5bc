package sqlitestore

import (
	"context"
	"database/sql"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

func (t *tx) AddPart(ctx context.Context, p store.Part) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO parts (session, side, leg, idx, first, records,
		counting, final, digest, file, size, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Session, string(p.Side), string(p.Leg), int64(p.Index), int64(p.First), int64(p.Records),
		int64(p.Counting), p.Final, p.Digest, p.File, p.Size, timeArg(p.Created))
	return wrap("add part", err)
}

func (t *tx) Parts(ctx context.Context, session string, side api.Role, leg store.Leg) ([]store.Part, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT idx, first, records, counting, final, digest, file,
		size, created FROM parts WHERE session = ? AND side = ? AND leg = ? ORDER BY idx`,
		session, string(side), string(leg))
	if err != nil {
		return nil, wrap("parts", err)
	}
	defer rows.Close()
	var out []store.Part
	for rows.Next() {
		p := store.Part{Session: session, Side: side, Leg: leg}
		var idx, first, records, counting int64
		var created sql.NullInt64
		if err := rows.Scan(&idx, &first, &records, &counting, &p.Final, &p.Digest, &p.File,
			&p.Size, &created); err != nil {
			return nil, wrap("parts", err)
		}
		p.Index, p.First, p.Records, p.Counting = uint32(idx), uint64(first), uint64(records), uint64(counting)
		p.Created = timeCol(created)
		out = append(out, p)
	}
	return out, wrap("parts", rows.Err())
}
