package session

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/blobs"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// partsDir is the first element of the blob keys of part files: one
// "directory" per session (for the default blob store, a subdirectory of
// Config.DataDir).
const partsDir = "parts"

// Service is the clean room's session service. It is safe for concurrent
// use, in one process and across processes sharing a store: the store
// serializes every state change, and the expensive steps (relay
// materialization, the join, the sweeps) run as leased jobs (Handlers).
// Per-session locks keep one process from running a session's relay, join
// and ending at the same time.
type Service struct {
	store       store.Store
	blobs       blobs.Store
	floor       policy.Policy
	budget      float64
	maxPart     int64
	relayRecs   int
	maxSet      uint64
	memBudget   int64
	bucketRecs  uint64
	scratchDir  string
	shards      int
	expireAfter time.Duration
	notify      func()
	relayWait   time.Duration
	blobGrace   time.Duration
	now         func() time.Time
	log         *slog.Logger

	randMu sync.Mutex
	rand   io.Reader

	secret  []byte
	signKey ed25519.PrivateKey

	locks    keyedMutex
	elements atomic.Uint64
}

// New opens the service: it loads (or creates) the server secret and the
// transcript signing key under cfg.DataDir, then queues the work sessions
// already wait for (reconcile). The work itself runs as jobs (Handlers),
// in this process or any other on the same store.
func New(cfg Config) (*Service, error) {
	cfg, err := cfg.withDefaults(rand.Reader)
	if err != nil {
		return nil, err
	}
	if cfg.Blobs == nil {
		if cfg.Blobs, err = newDirBlobs(cfg.DataDir); err != nil {
			return nil, fmt.Errorf("session: data directory: %w", err)
		}
	}
	secret, signKey, err := loadKeys(cfg.DataDir, cfg.Rand)
	if err != nil {
		return nil, err
	}
	s := &Service{
		store:       cfg.Store,
		blobs:       cfg.Blobs,
		floor:       cfg.Floor,
		budget:      cfg.DPBudget,
		maxPart:     cfg.MaxPartSize,
		relayRecs:   cfg.RelayPartRecords,
		maxSet:      cfg.MaxSetRecords,
		memBudget:   cfg.MemoryBudget,
		bucketRecs:  cfg.RelayBucketRecords,
		scratchDir:  cfg.ScratchDir,
		shards:      cfg.JoinShards,
		expireAfter: cfg.ExpireAfter,
		notify:      cfg.Notify,
		relayWait:   cfg.RelayWait,
		blobGrace:   cfg.BlobGrace,
		now:         func() time.Time { return cfg.Now().UTC() },
		log:         cfg.Logger,
		rand:        cfg.Rand,
		secret:      secret,
		signKey:     signKey,
	}
	if err := s.checkSecrets(context.Background()); err != nil {
		return nil, err
	}
	if err := s.reconcile(context.Background()); err != nil {
		return nil, fmt.Errorf("session: queueing pending work: %w", err)
	}
	return s, nil
}

// TranscriptPublicKey is the key that verifies signed transcript heads;
// auditors get it out of band (the binary prints it, the HTTP layer may
// publish it).
func (s *Service) TranscriptPublicKey() ed25519.PublicKey {
	return s.signKey.Public().(ed25519.PublicKey)
}

// ElementsProcessed counts the records of uploaded parts (blinded elements
// and join digests) validated since New, for metrics.
func (s *Service) ElementsProcessed() uint64 { return s.elements.Load() }

// StateCounts returns the number of sessions in each state, for metrics.
func (s *Service) StateCounts(ctx context.Context) (map[api.State]int, error) {
	var counts map[api.State]int
	err := s.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		counts, err = tx.StateCounts(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("session: state counts: %w", err)
	}
	return counts, nil
}

// readRand fills b from the configured random source.
func (s *Service) readRand(b []byte) error {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return fmt.Errorf("session: random source: %w", err)
	}
	return nil
}

// keyedMutex hands out one mutex per key, dropped when nobody holds it.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*refMutex
}

type refMutex struct {
	sync.Mutex
	refs int
}

// lock locks key and returns its unlock function.
func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*refMutex)
	}
	m := k.m[key]
	if m == nil {
		m = new(refMutex)
		k.m[key] = m
	}
	m.refs++
	k.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		k.mu.Lock()
		if m.refs--; m.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
