package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations is append-only: entry i upgrades the schema from version i to
// version i+1. Never edit an entry that has shipped; add a new one.
var migrations = []string{
	`
CREATE TABLE parties (
	name         TEXT PRIMARY KEY,
	role         TEXT NOT NULL,
	api_key_hash BLOB NOT NULL UNIQUE,
	created      INTEGER NOT NULL,
	revoked_at   INTEGER
) STRICT;

CREATE TABLE sessions (
	id                TEXT PRIMARY KEY,
	advertiser        TEXT NOT NULL REFERENCES parties(name),
	partner           TEXT NOT NULL REFERENCES parties(name),
	match_key         TEXT NOT NULL,
	policy            BLOB NOT NULL,
	policy_hash       TEXT NOT NULL,
	segments          TEXT NOT NULL,
	state             TEXT NOT NULL,
	created           INTEGER NOT NULL,
	updated           INTEGER NOT NULL,
	computed_at       INTEGER,
	purge_after       INTEGER,
	relay_seed        BLOB NOT NULL,
	advertiser_result BLOB,
	partner_result    BLOB
) STRICT;
CREATE INDEX sessions_advertiser ON sessions(advertiser);
CREATE INDEX sessions_partner ON sessions(partner);
CREATE INDEX sessions_state ON sessions(state);

CREATE TABLE session_auditors (
	session  TEXT NOT NULL REFERENCES sessions(id),
	auditor  TEXT NOT NULL REFERENCES parties(name),
	position INTEGER NOT NULL,
	PRIMARY KEY (session, auditor)
) STRICT;
CREATE INDEX session_auditors_auditor ON session_auditors(auditor);

CREATE TABLE parts (
	session  TEXT NOT NULL REFERENCES sessions(id),
	side     TEXT NOT NULL,
	leg      TEXT NOT NULL,
	idx      INTEGER NOT NULL,
	first    INTEGER NOT NULL,
	records  INTEGER NOT NULL,
	counting INTEGER NOT NULL,
	final    INTEGER NOT NULL,
	digest   BLOB NOT NULL,
	file     TEXT NOT NULL,
	size     INTEGER NOT NULL,
	created  INTEGER NOT NULL,
	PRIMARY KEY (session, side, leg, idx)
) STRICT;

CREATE TABLE events (
	session TEXT NOT NULL REFERENCES sessions(id),
	seq     INTEGER NOT NULL,
	time    INTEGER NOT NULL,
	actor   TEXT NOT NULL,
	type    TEXT NOT NULL,
	data    BLOB NOT NULL,
	head    BLOB NOT NULL,
	PRIMARY KEY (session, seq)
) STRICT;

CREATE TABLE dp_spends (
	session    TEXT PRIMARY KEY REFERENCES sessions(id),
	advertiser TEXT NOT NULL,
	partner    TEXT NOT NULL,
	epsilon    REAL NOT NULL,
	time       INTEGER NOT NULL
) STRICT;
CREATE INDEX dp_spends_pair ON dp_spends(advertiser, partner, time);
`,
	// Background work as leased jobs (see jobs.go). session is "" for
	// clean-room-wide jobs, so it is not a foreign key. owner is '' while
	// unclaimed (and lease_until NULL), so that a claim's WHERE needs no
	// NULL logic. AUTOINCREMENT never reuses the id of a finished job, so a
	// stale owner's id cannot name a newer one. jobs_due serves ClaimJob and
	// Jobs, which walk jobs by due then id.
	`
CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	kind        TEXT NOT NULL,
	session     TEXT NOT NULL,
	arg         TEXT NOT NULL,
	due         INTEGER NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	owner       TEXT NOT NULL DEFAULT '',
	lease_until INTEGER,
	last_error  TEXT NOT NULL DEFAULT '',
	created     INTEGER NOT NULL,
	UNIQUE (kind, session, arg)
) STRICT;
CREATE INDEX jobs_due ON jobs(due, id);
`,
	// Clean-room-wide values, each set once (Tx.AddSetting).
	`
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;
`,
	// Results go to the blob store; a row names the object and its size.
	// Rows written before hold the JSON in advertiser_result and
	// partner_result, which are still read (store.Result).
	`
ALTER TABLE sessions ADD COLUMN advertiser_result_blob TEXT;
ALTER TABLE sessions ADD COLUMN advertiser_result_size INTEGER;
ALTER TABLE sessions ADD COLUMN partner_result_blob TEXT;
ALTER TABLE sessions ADD COLUMN partner_result_size INTEGER;
`,
}

// migrate creates the version table if needed and applies every missing
// migration, each in its own transaction together with its version row.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("sqlitestore: create version table: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("sqlitestore: read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("sqlitestore: database schema version %d is newer than this binary (%d)", current, len(migrations))
	}
	for v := current; v < len(migrations); v++ {
		if err := applyMigration(ctx, db, v+1, migrations[v]); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, version int, script string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: migration %d: %w", version, err)
	}
	defer tx.Rollback() // no-op after Commit
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return fmt.Errorf("sqlitestore: migration %d: %w", version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`,
		version, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("sqlitestore: migration %d: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: migration %d: %w", version, err)
	}
	return nil
}
