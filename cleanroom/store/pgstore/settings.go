package pgstore

import "context"

func (t *tx) AddSetting(ctx context.Context, name string, value []byte) error {
	return t.insert(ctx, "add setting", `INSERT INTO settings (name, value) VALUES ($1, $2)`, name, value)
}

func (t *tx) Setting(ctx context.Context, name string) ([]byte, error) {
	var value []byte
	err := t.tx.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&value)
	return value, t.wrap("setting", err)
}
