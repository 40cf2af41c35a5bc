package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations is append-only: entry i upgrades the schema from version i to
// version i+1. Never edit an entry that has shipped; add a new one.
var migrations = []string{
	`
CREATE TABLE parties (
	name         TEXT PRIMARY KEY,
	role         TEXT NOT NULL,
	api_key_hash BYTEA NOT NULL UNIQUE,
	created      BIGINT NOT NULL,
	revoked_at   BIGINT
);

CREATE TABLE sessions (
	id                TEXT PRIMARY KEY,
	advertiser        TEXT NOT NULL REFERENCES parties(name),
	partner           TEXT NOT NULL REFERENCES parties(name),
	match_key         TEXT NOT NULL,
	policy            BYTEA NOT NULL,
	policy_hash       TEXT NOT NULL,
	segments          TEXT[] NOT NULL,
	state             TEXT NOT NULL,
	created           BIGINT NOT NULL,
	updated           BIGINT NOT NULL,
	computed_at       BIGINT,
	purge_after       BIGINT,
	relay_seed        BYTEA NOT NULL,
	advertiser_result BYTEA,
	partner_result    BYTEA
);
CREATE INDEX sessions_advertiser ON sessions(advertiser);
CREATE INDEX sessions_partner ON sessions(partner);
CREATE INDEX sessions_state ON sessions(state);

CREATE TABLE session_auditors (
	session  TEXT NOT NULL REFERENCES sessions(id),
	auditor  TEXT NOT NULL REFERENCES parties(name),
	position INTEGER NOT NULL,
	PRIMARY KEY (session, auditor)
);
CREATE INDEX session_auditors_auditor ON session_auditors(auditor);

CREATE TABLE parts (
	session  TEXT NOT NULL REFERENCES sessions(id),
	side     TEXT NOT NULL,
	leg      TEXT NOT NULL,
	idx      BIGINT NOT NULL,
	first    BIGINT NOT NULL,
	records  BIGINT NOT NULL,
	counting BIGINT NOT NULL,
	final    BOOLEAN NOT NULL,
	digest   BYTEA NOT NULL,
	file     TEXT NOT NULL,
	size     BIGINT NOT NULL,
	created  BIGINT NOT NULL,
	PRIMARY KEY (session, side, leg, idx)
);

CREATE TABLE events (
	session TEXT NOT NULL REFERENCES sessions(id),
	seq     BIGINT NOT NULL,
	time    BIGINT NOT NULL,
	actor   TEXT NOT NULL,
	type    TEXT NOT NULL,
	data    BYTEA NOT NULL,
	head    BYTEA NOT NULL,
	PRIMARY KEY (session, seq)
);

CREATE TABLE dp_spends (
	session    TEXT PRIMARY KEY REFERENCES sessions(id),
	advertiser TEXT NOT NULL,
	partner    TEXT NOT NULL,
	epsilon    DOUBLE PRECISION NOT NULL,
	time       BIGINT NOT NULL
);
CREATE INDEX dp_spends_pair ON dp_spends(advertiser, partner, time);
`,
	// Background work as leased jobs (see jobs.go and the package doc).
	// session is '' for clean-room-wide jobs, so it is not a foreign key.
	// owner is '' while unclaimed (and lease_until NULL), so that a claim's
	// WHERE needs no NULL logic. An identity never hands out a finished
	// job's id again, so a stale owner's id cannot name a newer job.
	// jobs_due serves ClaimJob and Jobs, which walk jobs by due then id.
	`
CREATE TABLE jobs (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        TEXT NOT NULL,
	session     TEXT NOT NULL,
	arg         TEXT NOT NULL,
	due         BIGINT NOT NULL,
	attempts    INTEGER NOT NULL DEFAULT 0,
	owner       TEXT NOT NULL DEFAULT '',
	lease_until BIGINT,
	last_error  TEXT NOT NULL DEFAULT '',
	created     BIGINT NOT NULL,
	UNIQUE (kind, session, arg)
);
CREATE INDEX jobs_due ON jobs(due, id);
`,
	// Clean-room-wide values, each set once (Tx.AddSetting).
	`
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BYTEA NOT NULL
);
`,
	// Results go to the blob store; a row names the object and its size.
	// Rows written before hold the JSON in advertiser_result and
	// partner_result, which are still read (store.Result).
	`
ALTER TABLE sessions ADD COLUMN advertiser_result_blob TEXT,
	ADD COLUMN advertiser_result_size BIGINT,
	ADD COLUMN partner_result_blob TEXT,
	ADD COLUMN partner_result_size BIGINT;
`,
}

// migrationLock is the advisory lock class ("bjmi" in ASCII) held while
// migrating, so that replicas starting at the same time apply each
// migration once. Advisory locks are database-wide; the second key is the
// schema, so clean rooms in separate schemas of one database (search_path
// in the URL) do not wait for each other.
const migrationLock int32 = 0x626a6d69

// lockKey is the SQL of an advisory lock's two keys: a class and the
// current schema.
const lockKey = `$1::int4, hashtext(current_schema())`

// migrate creates the version table if needed and applies every missing
// migration, each in its own transaction together with its version row.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`, migrationLock); err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+lockKey+`)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("pgstore: create version table: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("pgstore: read schema version: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("pgstore: database schema version %d is newer than this binary (%d)", current, len(migrations))
	}
	for v := current; v < len(migrations); v++ {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("pgstore: migration %d: %w", v+1, err)
		}
		_, err = tx.Exec(ctx, migrations[v])
		if err == nil {
			_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`, v+1, time.Now().UnixNano())
		}
		if err == nil {
			err = tx.Commit(ctx)
		}
		if err != nil {
			_ = tx.Rollback(ctx) // no-op after a failed Commit
			return fmt.Errorf("pgstore: migration %d: %w", v+1, err)
		}
	}
	return nil
}
