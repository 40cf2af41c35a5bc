package sqlitestore

import "context"

func (t *tx) AddSetting(ctx context.Context, name string, value []byte) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, name, value)
	return wrap("add setting", err)
}

func (t *tx) Setting(ctx context.Context, name string) ([]byte, error) {
	var value []byte
	err := t.tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&value)
	return value, wrap("setting", err)
}
