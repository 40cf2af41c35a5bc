package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

func (t *tx) AddSpend(ctx context.Context, s store.Spend) error {
	return t.insert(ctx, "add spend", `INSERT INTO dp_spends (session, advertiser, partner, epsilon, time)
		VALUES ($1, $2, $3, $4, $5)`, s.Session, s.Advertiser, s.Partner, s.Epsilon, timeArg(s.Time))
}

func (t *tx) Spends(ctx context.Context, advertiser, partner string, since time.Time) ([]store.Spend, error) {
	return list(ctx, t, "spends", func(r pgx.Row) (store.Spend, error) {
		s := store.Spend{Advertiser: advertiser, Partner: partner}
		var at *int64
		if err := r.Scan(&s.Session, &s.Epsilon, &at); err != nil {
			return store.Spend{}, err
		}
		s.Time = timeCol(at)
		return s, nil
	}, `SELECT session, epsilon, time FROM dp_spends
		WHERE advertiser = $1 AND partner = $2 AND time >= $3 ORDER BY time, session`,
		advertiser, partner, since.UnixNano())
}

func (t *tx) DeleteSpend(ctx context.Context, session string) error {
	_, err := t.exec(ctx, "delete spend", `DELETE FROM dp_spends WHERE session = $1`, session)
	return err
}
