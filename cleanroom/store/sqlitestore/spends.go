package sqlitestore

import (
	"context"
	"database/sql"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

func (t *tx) AddSpend(ctx context.Context, s store.Spend) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO dp_spends (session, advertiser, partner, epsilon, time)
		VALUES (?, ?, ?, ?, ?)`, s.Session, s.Advertiser, s.Partner, s.Epsilon, timeArg(s.Time))
	return wrap("add spend", err)
}

func (t *tx) Spends(ctx context.Context, advertiser, partner string, since time.Time) ([]store.Spend, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT session, epsilon, time FROM dp_spends
		WHERE advertiser = ? AND partner = ? AND time >= ? ORDER BY time, session`,
		advertiser, partner, since.UnixNano())
	if err != nil {
		return nil, wrap("spends", err)
	}
	defer rows.Close()
	var out []store.Spend
	for rows.Next() {
		s := store.Spend{Advertiser: advertiser, Partner: partner}
		var at sql.NullInt64
		if err := rows.Scan(&s.Session, &s.Epsilon, &at); err != nil {
			return nil, wrap("spends", err)
		}
		s.Time = timeCol(at)
		out = append(out, s)
	}
	return out, wrap("spends", rows.Err())
}

func (t *tx) DeleteSpend(ctx context.Context, session string) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM dp_spends WHERE session = ?`, session)
	return wrap("delete spend", err)
}
