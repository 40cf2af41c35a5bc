package session

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultDPBudget is the epsilon an advertiser–partner pair may spend
	// per rolling dp.Window (30 days); the top of the range AWS Clean Rooms
	// offers for one query is 20, so 10 allows a few noisy sessions a month.
	DefaultDPBudget = 10
	// DefaultExpireAfter is how long a session may sit without progress in
	// a non-final state before Sweep expires it and deletes its data.
	DefaultExpireAfter = 7 * 24 * time.Hour
	// DefaultMemoryBudget is the memory the relay, the duplicate check
	// and the join of one session aim to stay within, whatever the sets'
	// sizes: beyond it they work through scratch files.
	DefaultMemoryBudget = 512 << 20
	// DefaultRelayBucketRecords is how many identifiers a bucket of the
	// relay permutation holds at most on average (shuffle.Bucketed): 32
	// MB of elements and 4 MB of order, what one step of the relay holds
	// in memory. Sets up to this size are permuted in one piece.
	DefaultRelayBucketRecords = 1 << 20
	// MinMemoryBudget is the least budget accepted: below it a bucket of
	// the relay (DefaultRelayBucketRecords elements) would not fit beside
	// the rest of a process.
	MinMemoryBudget = 64 << 20
	// DefaultRelayWait is how long a download of the counterpart set
	// waits for its relay job before answering ErrNotReady.
	DefaultRelayWait = 10 * time.Second
	// DefaultBlobGrace is the age below which the blob sweep leaves an
	// unrecorded part object of a live session alone: it may be an
	// upload in flight on another replica (a part streams for at most
	// a few minutes) or a part committed and about to be recorded.
	DefaultBlobGrace = time.Hour
)

// Config configures a Service. DataDir, Store and Floor are required; zero
// values of the other fields select the defaults documented on each.
type Config struct {
	// DataDir holds the server secret (server-secret) and the transcript
	// signing key (transcript-signing.pem), and the part files
	// (parts/<session>/) unless Blobs is set. It must be private to the
	// service. In cluster mode it is the keys directory every replica
	// mounts.
	DataDir string
	Store   store.Store
	// Blobs keeps the part files (nil: files under DataDir).
	Blobs blobs.Store
	// Floor is the operator's minimum policy: a session's policy may be
	// stricter, never looser (policy.CheckFloor).
	Floor policy.Policy
	// DPBudget is the epsilon an advertiser–partner pair may reserve per
	// rolling 30 days (0: DefaultDPBudget; negative is an error).
	DPBudget float64
	// MaxPartSize bounds an uploaded part in bytes (0 or more than
	// wire.MaxPartSize: wire.MaxPartSize).
	MaxPartSize int64
	// RelayPartRecords is the number of records per relayed part (0 or more
	// than fits in wire.MaxPartSize: as many as fit). Tests lower it to
	// exercise multi-part relays with small sets.
	RelayPartRecords int
	// RelayBucketRecords is the average bucket size of the relay
	// permutation (0: DefaultRelayBucketRecords, or fewer if a bucket
	// would take more than an eighth of MemoryBudget). Tests lower it to
	// exercise many buckets with small sets.
	RelayBucketRecords uint64
	// MaxSetRecords bounds one party's blinded set (0: no bound but the
	// blob store's and the scratch disk's capacity).
	MaxSetRecords uint64
	// MemoryBudget is what one session's relay, duplicate check and join
	// aim to hold in memory at most, in bytes (0: DefaultMemoryBudget; at
	// least 64 MiB). Larger sets go through files in ScratchDir.
	MemoryBudget int64
	// JoinShards, when above 0, fixes the number of shards of the join and
	// of buckets of the duplicate check (rounded up to a power of two), and
	// of the activation's scratch buckets (as it is, at most one per
	// record), instead of deriving them from MemoryBudget. It is a test knob: tests
	// raise it so that small sets take the path of sets larger than
	// memory.
	JoinShards int
	// ScratchDir holds those files while a job runs ("": os.TempDir()),
	// on local disk. The join needs the most: about 70 bytes per
	// identifier of both sets together, plus 50 per candidate pair of a
	// multi-key session (see the package doc).
	ScratchDir string
	// ExpireAfter is how long a non-final session may go without progress
	// before Sweep expires it (0: DefaultExpireAfter).
	ExpireAfter time.Duration
	// Notify is called after a transaction that made background work due
	// committed (nil: nobody is told; the jobs runner finds it at its next
	// poll). The operator passes the local runner's Kick.
	Notify func()
	// RelayWait is how long a counterpart download waits for the relay
	// job (0: DefaultRelayWait).
	RelayWait time.Duration
	// BlobGrace is the age from which the blob sweep deletes unrecorded
	// objects of live sessions (0: DefaultBlobGrace).
	BlobGrace time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Rand is the source of session ids, relay seeds and new secrets
	// (nil: crypto/rand.Reader). It is used under a lock.
	Rand io.Reader
	// Logger receives ids, counts and states, never elements or keys
	// (nil: discard).
	Logger *slog.Logger
}

// withDefaults checks cfg and fills its zero fields.
func (cfg Config) withDefaults(defaultRand io.Reader) (Config, error) {
	if cfg.DataDir == "" || cfg.Store == nil {
		return cfg, errors.New("session: DataDir and Store are required")
	}
	if err := cfg.Floor.Validate(); err != nil {
		return cfg, fmt.Errorf("session: invalid floor policy: %w", err)
	}
	switch {
	case cfg.DPBudget < 0:
		return cfg, errors.New("session: negative DPBudget")
	case cfg.DPBudget == 0:
		cfg.DPBudget = DefaultDPBudget
	}
	if cfg.MaxPartSize <= 0 || cfg.MaxPartSize > wire.MaxPartSize {
		cfg.MaxPartSize = wire.MaxPartSize
	}
	if cfg.RelayPartRecords < 0 {
		cfg.RelayPartRecords = 0
	}
	if cfg.MaxSetRecords == 0 {
		cfg.MaxSetRecords = math.MaxUint64
	}
	switch {
	case cfg.MemoryBudget == 0:
		cfg.MemoryBudget = DefaultMemoryBudget
	case cfg.MemoryBudget < MinMemoryBudget:
		return cfg, fmt.Errorf("session: memory budget of %d bytes is below the least usable, 64 MiB", cfg.MemoryBudget)
	}
	if cfg.RelayBucketRecords == 0 {
		// A relay bucket holds 36 bytes per identifier (element and
		// order), the join's routing 30: an eighth of the budget leaves
		// room for the collector's slack and the write buffers.
		cfg.RelayBucketRecords = min(DefaultRelayBucketRecords, uint64(cfg.MemoryBudget)/(8*36))
	}
	if cfg.ScratchDir != "" {
		if fi, err := os.Stat(cfg.ScratchDir); err != nil || !fi.IsDir() {
			return cfg, fmt.Errorf("session: scratch directory %s is not a directory that exists", cfg.ScratchDir)
		}
	}
	if cfg.ExpireAfter <= 0 {
		cfg.ExpireAfter = DefaultExpireAfter
	}
	if cfg.Notify == nil {
		cfg.Notify = func() {}
	}
	if cfg.RelayWait <= 0 {
		cfg.RelayWait = DefaultRelayWait
	}
	if cfg.BlobGrace <= 0 {
		cfg.BlobGrace = DefaultBlobGrace
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = defaultRand
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}
