package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
)

func (t *tx) AddPart(ctx context.Context, p store.Part) error {
	return t.insert(ctx, "add part", `INSERT INTO parts (session, side, leg, idx, first, records,
		counting, final, digest, file, size, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		p.Session, string(p.Side), string(p.Leg), int64(p.Index), int64(p.First), int64(p.Records),
		int64(p.Counting), p.Final, p.Digest, p.File, p.Size, timeArg(p.Created))
}

func (t *tx) Parts(ctx context.Context, session string, side api.Role, leg store.Leg) ([]store.Part, error) {
	return list(ctx, t, "parts", func(r pgx.Row) (store.Part, error) {
		p := store.Part{Session: session, Side: side, Leg: leg}
		var idx, first, records, counting int64
		var created *int64
		if err := r.Scan(&idx, &first, &records, &counting, &p.Final, &p.Digest, &p.File,
			&p.Size, &created); err != nil {
			return store.Part{}, err
		}
		p.Index, p.First, p.Records, p.Counting = uint32(idx), uint64(first), uint64(records), uint64(counting)
		p.Created = timeCol(created)
		return p, nil
	}, `SELECT idx, first, records, counting, final, digest, file, size, created FROM parts
		WHERE session = $1 AND side = $2 AND leg = $3 ORDER BY idx`, session, string(side), string(leg))
}
