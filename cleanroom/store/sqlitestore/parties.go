package sqlitestore

import (
	"context"
	"database/sql"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

const partyColumns = `name, role, api_key_hash, created, revoked_at`

func scanParty(s scanner) (store.Party, error) {
	var p store.Party
	var created, revoked sql.NullInt64
	if err := s.Scan(&p.Name, &p.Role, &p.APIKeyHash, &created, &revoked); err != nil {
		return store.Party{}, err
	}
	p.Created = timeCol(created)
	p.RevokedAt = timeCol(revoked)
	return p, nil
}

func (t *tx) AddParty(ctx context.Context, p store.Party) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO parties (`+partyColumns+`) VALUES (?, ?, ?, ?, ?)`,
		p.Name, string(p.Role), p.APIKeyHash, timeArg(p.Created), timeArg(p.RevokedAt))
	return wrap("add party", err)
}

func (t *tx) Party(ctx context.Context, name string) (store.Party, error) {
	p, err := scanParty(t.tx.QueryRowContext(ctx, `SELECT `+partyColumns+` FROM parties WHERE name = ?`, name))
	return p, wrap("party", err)
}

func (t *tx) PartyByKeyHash(ctx context.Context, h []byte) (store.Party, error) {
	p, err := scanParty(t.tx.QueryRowContext(ctx, `SELECT `+partyColumns+` FROM parties WHERE api_key_hash = ?`, h))
	return p, wrap("party by key", err)
}

func (t *tx) Parties(ctx context.Context) ([]store.Party, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+partyColumns+` FROM parties ORDER BY name`)
	if err != nil {
		return nil, wrap("parties", err)
	}
	defer rows.Close()
	var out []store.Party
	for rows.Next() {
		p, err := scanParty(rows)
		if err != nil {
			return nil, wrap("parties", err)
		}
		out = append(out, p)
	}
	return out, wrap("parties", rows.Err())
}

func (t *tx) UpdateParty(ctx context.Context, p store.Party) error {
	res, err := t.tx.ExecContext(ctx, `UPDATE parties SET role = ?, revoked_at = ? WHERE name = ?`,
		string(p.Role), timeArg(p.RevokedAt), p.Name)
	return mustAffect("update party", res, err)
}
