package store

import (
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// Times are stored with nanosecond precision in UTC; a zero time.Time means
// "not set".

// Party is a registered organization.
type Party struct {
	Name       string
	Role       api.Role
	APIKeyHash []byte // SHA-256 of the API key
	Created    time.Time
	RevokedAt  time.Time // zero while active
}

// Session is one clean-room session row.
type Session struct {
	ID         string
	Advertiser string
	Partner    string
	MatchKey   string
	Policy     []byte // canonical policy JSON
	PolicyHash string
	Segments   []string
	Auditors   []string
	State      api.State
	Created    time.Time
	Updated    time.Time
	ComputedAt time.Time // zero until computed
	PurgeAfter time.Time // zero until computed
	// RelaySeed is the per-session secret from which the server's relay
	// permutations are derived (together with the server secret, which is
	// not in the database).
	RelaySeed []byte
	// The results released to each party are not part of the row as
	// loaded: only compute and the results call need them
	// (Tx.SetResults, Tx.Result).
}

// Result is where the results released to one party are kept: the JSON
// of api.Results, which a media partner's activation can make hundreds of
// megabytes, in the blob store under Blob. Stores written before results
// went to the blob store hold the JSON itself, Inline, in the row; a
// Result names one or the other, never both, and is zero until the
// session is computed.
type Result struct {
	Blob string // key of the object in the blob store
	Size int64  // its length in bytes
	// Inline is the JSON, in rows written before results went to the
	// blob store; nil when Blob is set.
	Inline []byte
}

// Stored reports whether r names any results.
func (r Result) Stored() bool { return r.Blob != "" || r.Inline != nil }

// Leg names one of the three kinds of part files a session holds.
type Leg string

const (
	// LegBlinded is a party's own blinded set (wire kind blinded).
	LegBlinded Leg = "blinded"
	// LegReblinded is a party's re-blinded copy of the counterpart set
	// (wire kind join).
	LegReblinded Leg = "reblinded"
	// LegRelay is the server-permuted copy of a set prepared for the other
	// party (wire kind elements); its Side is the party that downloads it.
	LegRelay Leg = "relay"
)

// Part is the metadata of one part file on disk.
type Part struct {
	Session  string
	Side     api.Role // role of the party that sent (or, for relay, receives) it
	Leg      Leg
	Index    uint32
	First    uint64 // index of the part's first record in the whole set
	Records  uint64
	Counting uint64 // records the policy lets count (Records for other legs)
	Final    bool
	Digest   []byte // SHA-256 of the whole part as sent
	File     string // path relative to the service's data directory
	Size     int64
	Created  time.Time
}

// Event is one stored transcript event and the chain head after it.
type Event struct {
	Session string
	Seq     uint64
	Time    time.Time
	Actor   string
	Type    string
	Data    []byte // event payload (JSON)
	Head    []byte // chain hash after this event
}

// Spend is a differential-privacy epsilon reserved for one session.
type Spend struct {
	Session    string
	Advertiser string
	Partner    string
	Epsilon    float64
	Time       time.Time
}

// JobKind names a kind of background work (see cleanroom/jobs).
type JobKind string

const (
	// JobRelay prepares the relay parts of a session for the side named
	// by Job.Arg: it is due once the session is exchanging.
	JobRelay JobKind = "relay"
	// JobJoin starts the join of a session whose two re-blinded sets are
	// complete: it routes both sides' join digests into shards and queues
	// a JobJoinShard for each.
	JobJoin JobKind = "join"
	// JobJoinShard joins one shard of a routed join (Job.Arg names the
	// routing and the shard); the last one to finish queues the
	// JobJoinCombine.
	JobJoinShard JobKind = "join_shard"
	// JobJoinCombine links the candidates of every shard of a routed join
	// (Job.Arg names the routing), applies the policy and releases the
	// results.
	JobJoinCombine JobKind = "join_combine"
	// JobRetention purges and expires sessions (clean-room wide,
	// recurring).
	JobRetention JobKind = "retention"
	// JobBlobSweep deletes part objects that no store row names
	// (clean-room wide, recurring).
	JobBlobSweep JobKind = "blob_sweep"
)

// Job is one row of the jobs table: work that is due at Due, claimed by at
// most one runner at a time under a lease. A job is identified by its
// Kind, Session and Arg while it is queued; it is deleted when done.
type Job struct {
	ID      int64
	Kind    JobKind
	Session string // "" for clean-room-wide jobs
	Arg     string // kind-specific, "" if none (JobRelay: the recipient; the join's shard and combine jobs: their routing)
	Due     time.Time
	// Attempts counts the claims so far, the current one included.
	Attempts int
	// Owner names the runner holding the lease ("" while unclaimed), and
	// LeaseUntil is when the lease runs out (zero while unclaimed). A job
	// whose lease ran out may be claimed by another runner.
	Owner      string
	LeaseUntil time.Time
	// LastError says why the last attempt failed ("" if none). It never
	// holds identifiers or keys: only the session service's own errors.
	LastError string
	Created   time.Time
}
