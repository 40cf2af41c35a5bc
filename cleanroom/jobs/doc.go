// Package jobs runs the clean room's background work: the rows of the
// store's jobs table (store.Job), claimed under a lease by whichever
// process gets there first. Every `blindjoind serve` replica runs a
// Runner beside its API, and `blindjoind worker` runs one alone, so
// several processes on one PostgreSQL database share the work; the
// embedded SQLite clean room runs the same jobs in its one process.
//
// # Leases
//
// A Runner claims a due job for Config.Lease and extends the lease every
// third of it while the handler runs. A process killed in the middle of
// a job stops extending; once the lease has run out, any runner claims
// the job again (the store reports it as expired, which the metrics
// count) and runs it from the start. Handlers are therefore idempotent:
// the session service's relay writes deterministic parts and records them
// only if none are recorded yet, its join commits the results and the
// state change in one transaction that re-checks the state, and the sweeps
// re-check each session they end. A runner that loses a lease (it was
// too slow to extend it and another runner claimed the job) cancels its
// handler's context; whatever the handler commits after that is checked
// by the same transactions.
//
// # Failures
//
// A handler error releases the job with a due time that backs off
// exponentially from Config.RetryBase to Config.RetryMax; the job stays
// queued until it succeeds or its session ends (the handlers of a
// session that has ended do nothing and succeed). The error is logged and
// stored in the row's last_error: the handler's own message (the session
// service's never holds identifiers), or a fixed text for a panic, whose
// value goes to the log only.
//
// # Recurring jobs
//
// Config.Every names clean-room-wide kinds (retention, blob sweep) that
// run periodically: Run enqueues each once (enqueueing is idempotent, so
// every replica may), and the runner that finishes one enqueues the next
// in the same transaction, due one period later. However many replicas
// run, each recurring job runs once per period.
//
// # Draining
//
// When Run's context ends, the runner claims nothing more, gives the
// running handlers Config.Drain to finish, then cancels them and releases
// their jobs due at once, so another runner takes them without waiting
// for the lease.
package jobs
