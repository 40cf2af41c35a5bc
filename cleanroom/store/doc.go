// Package store defines the clean room's persistent state as small
// interfaces, in the style of golang.org/x/mod/sumdb/tlog: the service never
// sees SQL, only a Store that runs a function inside a transaction and a Tx
// with the few reads and writes the session service and the party registry
// need.
//
// Every multi-step change (a part and its transcript event, a state change
// and its results, a session and its privacy-budget reservation) goes through
// one ReadWrite call, so a crash leaves either all of it or none of it.
// Implementations live in sub-packages (sqlitestore, the embedded default;
// pgstore, shared by the replicas of a cluster); only they import a
// database driver. storetest is the contract as one test suite, which both
// run.
//
// What is stored is what the service needs to resume after a restart:
// parties (with the SHA-256 of their API key, never the key), sessions (with
// the per-session relay seed, itself useless without the server secret kept
// outside the database), metadata of the part files kept on disk (never the
// elements), where each party's released results are (the key and size of
// an object of the blob store, or the JSON itself in rows written before
// results went there), the transcript hash chain, differential-privacy spends, the
// queue of background jobs, and settings set once per store (the
// fingerprint that binds the store to the secrets its sessions use).
//
// Jobs. Background work (relay preparation, the join, retention and blob
// sweeps) is a row of the jobs table, enqueued by the transaction that
// makes it due, so work is never lost between a state change and its
// follow-up. A runner claims a job under a lease (Tx.ClaimJob), extends the
// lease while it works, and finishes (deletes) or releases it in later
// transactions; every call after the claim names the owner, and answers
// ErrNotFound once another runner has taken the job over after the lease
// ran out, so a stalled runner learns it lost the job instead of
// overwriting the new owner's progress. A job is identified by its kind,
// session and argument while queued, which makes enqueueing idempotent.
// The work itself must be idempotent too: a runner that dies after doing
// it but before FinishJob leaves it to be done again.
package store
