// Package sqlitestore implements cleanroom/store on SQLite through the
// pure-Go driver modernc.org/sqlite (no cgo), the only package of the module
// that imports it.
//
// Connections. The database is opened twice: one writer pool with exactly
// one connection, whose transactions start with BEGIN IMMEDIATE (DSN
// _txlock=immediate), and a reader pool whose connections are query_only.
// With a single writer connection database/sql itself queues writers, so
// they never spin on SQLITE_BUSY inside the process; BEGIN IMMEDIATE takes
// the write lock at the start of the transaction, so a read-check-write
// sequence cannot fail half-way with a lock upgrade error when another
// process (an operator tool) writes too, and busy_timeout makes such a
// process wait instead of failing. In WAL mode readers see a consistent
// snapshot and never block the writer.
//
// Durability. journal_mode=WAL with synchronous=FULL: every commit fsyncs the
// WAL. NORMAL would be safe against a process crash but a power loss could
// roll back the last commits, and a commit here is something a party was
// told about (a part receipt, a privacy-budget reservation, released
// results). Commits are rare (a few per uploaded part of up to a million
// records), so the extra fsync costs nothing measurable.
//
// Jobs. The jobs table holds background work (relay preparation, joins,
// sweeps) under leases, as in pgstore, so the in-process runner resumes
// after a restart exactly as a replica of a cluster would. ClaimJob selects
// the first claimable job and then updates it; nothing can claim in
// between because ReadWrite transactions hold the write lock from BEGIN
// IMMEDIATE. A finished job's row is deleted, and AUTOINCREMENT keeps its
// id from being handed to a later job, so a stale runner's id names
// nothing.
//
// Schema. Migrations are an append-only list of SQL scripts; the
// schema_migrations table records which have run, and Open applies the
// missing ones in order, each in its own transaction. Tables are STRICT and
// foreign keys are enforced. Times are INTEGER nanoseconds since the Unix
// epoch (UTC), NULL when unset.
package sqlitestore
