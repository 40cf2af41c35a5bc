// Package pgstore implements cleanroom/store on PostgreSQL through
// github.com/jackc/pgx/v5, the only package of the module that imports it.
// It is the store of cluster mode: several blindjoind replicas share one
// database, so every guarantee the service relies on must hold between
// processes, not just between goroutines.
//
// Concurrency: SERIALIZABLE transactions with retry. The store contract
// says a ReadWrite transaction's read-check-write sequence is serialized
// against every other writer; SQLite gets that by letting one writer in at a
// time. Here every ReadWrite runs at isolation level SERIALIZABLE, which
// PostgreSQL guarantees to be equivalent to some one-at-a-time order, and a
// transaction that PostgreSQL aborts to keep that promise (SQLSTATE 40001
// serialization_failure, or 40P01 deadlock_detected) is rolled back and f
// is run again on a fresh snapshot, with jittered, growing pauses, up to
// maxAttempts times. The two races that matter:
//
//   - Two final parts of one session committed at the same moment on two
//     replicas. Each transaction inserts its part and reads the other side's
//     parts to decide whether the session moves on. Under snapshot isolation
//     alone both could miss the other's insert and the session would stall;
//     under SERIALIZABLE that read-write cycle aborts one of them, whose
//     retry sees both sets complete.
//   - Two sessions of one advertiser-partner pair reserving privacy budget
//     at the same moment. Each reads the pair's spends and inserts its own;
//     the read's predicate lock on the pair's index range makes PostgreSQL
//     abort one of two overlapping reservations, whose retry counts the
//     other's spend, so the budget is never overspent.
//
// Advisory locks were the alternative: one lock per session and per pair,
// taken by the caller. They would put lock names into the service (every
// future read-check-write would need to know which lock protects it, and a
// forgotten lock is a silent bug), whereas SERIALIZABLE protects every
// transaction the service writes, including ones not yet written, at the
// price of re-running f now and then. The store contract already allows
// that (f has no effects outside tx until ReadWrite returns). Transactions
// here are short (a few rows per uploaded part of up to a million records),
// so retries are rare and cheap; the contract suite's concurrency cases
// force them.
//
// Jobs: FOR UPDATE SKIP LOCKED inside the same SERIALIZABLE transactions.
// ClaimJob locks the first claimable row with SELECT ... ORDER BY due, id
// LIMIT 1 FOR UPDATE SKIP LOCKED, then updates its owner, lease and
// attempts. SERIALIZABLE alone would already forbid two claims of one
// lease (the later update of the row aborts), but the second claim would
// first wait for the first one's row lock, so the runners of every replica
// would queue on the head of the queue; SKIP LOCKED lets a claim pass over
// the rows other claims in progress hold and take the next due job at
// once (TestClaimSkipsLockedJobs pins this). Contention still costs some
// retries: a claim whose snapshot predates another claim's commit finds
// that row changed ("concurrent update"), and claims scanning the same
// index and heap pages form read-write dependencies that SERIALIZABLE
// breaks by aborting one. Both are ordinary serialization failures, run
// again on a fresh snapshot that sees the committed claims, so the retry
// takes another job; the contract suite's 8 runners draining 40 jobs take
// about one retry per three transactions here and never more than a few
// attempts for one. Claiming at READ COMMITTED, or under advisory locks,
// would avoid those retries but would take claims out of the one
// transaction model every other write follows. The work itself runs
// outside any transaction, under a lease stored in the row: a join may run
// for minutes, too long to hold a transaction or connection open, and a
// lease outlives a dead runner only until it runs out. ExtendLease,
// FinishJob and ReleaseJob name the owner, so a runner that stalled past
// its lease learns that another runner took the job over instead of
// overwriting its progress. Leases compare times from the runners' own
// clocks (ClaimJob's now), so clock skew between replicas shortens or
// lengthens a lease by that skew: leases must be much longer than it.
//
// Expected errors keep the transaction: a failed statement aborts a
// whole PostgreSQL transaction, whereas the service treats ErrExists and
// ErrNotFound as answers and goes on (as SQLite allows). So inserts use ON
// CONFLICT DO NOTHING and report ErrExists when they inserted nothing,
// updates report ErrNotFound from their row count, and no expected outcome
// is produced by a failing statement.
//
// ReadOnly runs at REPEATABLE READ, READ ONLY: a consistent snapshot that
// never waits for writers and is never aborted.
//
// Schema. Migrations are an append-only list of SQL scripts, applied by
// Open in order, each in its own transaction together with its row in
// schema_migrations, while holding an advisory lock so that replicas
// starting together do not race. The tables live in the connection's
// current schema (search_path=NAME in the URL picks one), and the advisory
// lock of the migrations is keyed by it, so several clean rooms
// may share a database. Times are BIGINT nanoseconds since the Unix
// epoch (UTC), as in SQLite, so both stores keep full precision; NULL when
// unset. Only metadata lives here (parties, sessions, part metadata,
// transcript events, budget spends, the jobs queue); part contents stay
// in the blob store, and joins run in Go.
//
// The connection string is never logged or put in an error: it may carry a
// password.
package pgstore
