package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/blindjoin/blindjoin/cleanroom/store"
)

const partyColumns = `name, role, api_key_hash, created, revoked_at`

func scanParty(r pgx.Row) (store.Party, error) {
	var p store.Party
	var created, revoked *int64
	if err := r.Scan(&p.Name, &p.Role, &p.APIKeyHash, &created, &revoked); err != nil {
		return store.Party{}, err
	}
	p.Created = timeCol(created)
	p.RevokedAt = timeCol(revoked)
	return p, nil
}

func (t *tx) AddParty(ctx context.Context, p store.Party) error {
	return t.insert(ctx, "add party", `INSERT INTO parties (`+partyColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		p.Name, string(p.Role), p.APIKeyHash, timeArg(p.Created), timeArg(p.RevokedAt))
}

func (t *tx) Party(ctx context.Context, name string) (store.Party, error) {
	p, err := scanParty(t.tx.QueryRow(ctx, `SELECT `+partyColumns+` FROM parties WHERE name = $1`, name))
	return p, t.wrap("party", err)
}

func (t *tx) PartyByKeyHash(ctx context.Context, h []byte) (store.Party, error) {
	p, err := scanParty(t.tx.QueryRow(ctx, `SELECT `+partyColumns+` FROM parties WHERE api_key_hash = $1`, h))
	return p, t.wrap("party by key", err)
}

func (t *tx) Parties(ctx context.Context) ([]store.Party, error) {
	return list(ctx, t, "parties", scanParty, `SELECT `+partyColumns+` FROM parties ORDER BY name`)
}

func (t *tx) UpdateParty(ctx context.Context, p store.Party) error {
	return t.update(ctx, "update party", `UPDATE parties SET role = $1, revoked_at = $2 WHERE name = $3`,
		string(p.Role), timeArg(p.RevokedAt), p.Name)
}
