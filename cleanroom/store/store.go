package store

import (
	"context"
	"errors"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// Sentinel errors returned by every implementation.
var (
	// ErrNotFound reports a missing party, session or event.
	ErrNotFound = errors.New("store: not found")
	// ErrExists reports a uniqueness violation: a party name or API key
	// hash, a session id or a part (session, side, leg, index) already
	// present.
	ErrExists = errors.New("store: already exists")
)

// Store runs transactions. The function passed to ReadWrite or ReadOnly may be
// called more than once if the implementation retries; it must not have side
// effects outside tx until the call returns. A non-nil error from f rolls the
// transaction back and is returned unchanged.
type Store interface {
	// ReadWrite runs f in a transaction whose read-check-write sequences
	// are serialized against every other writer, in this process or any
	// other sharing the store: SQLite holds the write lock from the start
	// (BEGIN IMMEDIATE); PostgreSQL runs SERIALIZABLE and runs f again when
	// it loses a conflict.
	ReadWrite(ctx context.Context, f func(ctx context.Context, tx Tx) error) error
	// ReadOnly runs f against a consistent snapshot; writes through tx fail.
	ReadOnly(ctx context.Context, f func(ctx context.Context, tx Tx) error) error
	Close() error
}

// Tx is the set of operations available inside a transaction. Lists are
// returned in a stable order (documented per method).
type Tx interface {
	// AddParty stores a new party; ErrExists if the name or key hash is taken.
	AddParty(ctx context.Context, p Party) error
	// Party returns a party by name, revoked or not; ErrNotFound if unknown.
	Party(ctx context.Context, name string) (Party, error)
	// PartyByKeyHash returns the party whose API key hashes to h.
	PartyByKeyHash(ctx context.Context, h []byte) (Party, error)
	// Parties lists every party, by name.
	Parties(ctx context.Context) ([]Party, error)
	// UpdateParty rewrites a party's role and revocation time.
	UpdateParty(ctx context.Context, p Party) error

	// AddSession stores a new session; ErrExists if the id is taken.
	AddSession(ctx context.Context, s Session) error
	// Session returns a session by id; ErrNotFound if unknown.
	Session(ctx context.Context, id string) (Session, error)
	// UpdateSession rewrites every mutable field of a session (state and
	// timestamps); ErrNotFound if unknown.
	UpdateSession(ctx context.Context, s Session) error
	// SetResults records where the results released to each party are
	// (Result); ErrNotFound if the session is unknown.
	SetResults(ctx context.Context, session string, advertiser, partner Result) error
	// Result returns where the results released to side (a role, as in
	// Part.Side) are, the zero Result until SetResults; ErrNotFound if
	// the session is unknown.
	Result(ctx context.Context, session string, side api.Role) (Result, error)
	// ResultBlobs lists, in lexical order, the blob key of every Result
	// any session holds: what the blob sweep must keep.
	ResultBlobs(ctx context.Context) ([]string, error)
	// Sessions lists, by creation time then id, the sessions naming party
	// as advertiser, partner or auditor, or every session if party is "".
	Sessions(ctx context.Context, party string) ([]Session, error)
	// StateCounts counts sessions per state.
	StateCounts(ctx context.Context) (map[api.State]int, error)

	// AddPart records a committed part file; ErrExists if a part with the
	// same session, side, leg and index is already recorded.
	AddPart(ctx context.Context, p Part) error
	// Parts lists one set's parts by index.
	Parts(ctx context.Context, session string, side api.Role, leg Leg) ([]Part, error)

	// AppendEvent adds a transcript event; ErrExists if its sequence
	// number is taken (the chain must be extended from the last event).
	AppendEvent(ctx context.Context, e Event) error
	// Events lists a session's transcript by sequence number.
	Events(ctx context.Context, session string) ([]Event, error)
	// LastEvent returns a session's last transcript event; ErrNotFound if
	// it has none.
	LastEvent(ctx context.Context, session string) (Event, error)

	// AddSpend records a differential-privacy reservation (one per session;
	// ErrExists otherwise).
	AddSpend(ctx context.Context, s Spend) error
	// Spends lists a pair's spends at or after since, by time.
	Spends(ctx context.Context, advertiser, partner string, since time.Time) ([]Spend, error)
	// DeleteSpend removes a session's reservation (a session that ended
	// without releasing anything gives its budget back); no error if none.
	DeleteSpend(ctx context.Context, session string) error

	// EnqueueJob queues j (Kind, Session, Arg, Due, Created; the other
	// fields are ignored) unless a job with the same Kind, Session and Arg
	// is already queued, claimed or not. It reports whether j was added;
	// enqueueing is thus idempotent, and the transaction that makes work
	// due can enqueue it without checking first.
	EnqueueJob(ctx context.Context, j Job) (added bool, err error)
	// ClaimJob leases the first job (by Due, then ID) whose Due is at or
	// before now and which is unclaimed or whose lease ran out before
	// now: Owner becomes owner, LeaseUntil now+lease, Attempts grows by
	// one. expired reports that the job was taken from a runner whose
	// lease ran out. ErrNotFound if no job is claimable. Two transactions
	// never claim the same lease: PostgreSQL skips rows another claim has
	// locked (FOR UPDATE SKIP LOCKED), SQLite serializes writers.
	ClaimJob(ctx context.Context, owner string, now time.Time, lease time.Duration) (j Job, expired bool, err error)
	// ExtendLease moves the lease of job id held by owner to until;
	// ErrNotFound if owner no longer holds it (it ran out and another
	// runner claimed the job, or the job is gone).
	ExtendLease(ctx context.Context, id int64, owner string, until time.Time) error
	// FinishJob deletes job id, done by owner; ErrNotFound if owner no
	// longer holds its lease.
	FinishJob(ctx context.Context, id int64, owner string) error
	// ReleaseJob gives job id back unfinished: unclaimed, due at due, with
	// lastError; ErrNotFound if owner no longer holds its lease.
	ReleaseJob(ctx context.Context, id int64, owner string, due time.Time, lastError string) error
	// Jobs lists every queued job, claimed or not, by Due then ID.
	Jobs(ctx context.Context) ([]Job, error)

	// AddSetting stores a clean-room-wide value under name, once:
	// ErrExists if name is set. Setting returns it; ErrNotFound if unset.
	// (The session service keeps the fingerprint of its secrets here, so
	// that a process started with other secrets is refused.)
	AddSetting(ctx context.Context, name string, value []byte) error
	Setting(ctx context.Context, name string) ([]byte, error)
}
