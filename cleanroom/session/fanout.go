package session

import (
	"hash/maphash"
	"math/bits"
	"slices"

	"github.com/blindjoin/blindjoin/internal/radix"
	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/shuffle"
)

// router sends records to a power-of-two number of buckets by the top bits
// of a keyed hash of a value that equal records share (a join digest, a
// blinded element), so that equals meet in one bucket, which then fits in
// memory. The key is fresh for each run and never leaves the process: a
// party chooses the values it sends (a re-blinding party any digests at
// all), and bucketing by the values' own bits would let it pile its whole
// set into one bucket. It cannot aim at a bucket it cannot compute.
type router struct {
	buckets int
	seed    maphash.Seed
	shift   uint // 64 - log2(buckets): 64 for one bucket
}

// newRouter returns a router to buckets buckets, a power of two.
func newRouter(buckets int) router {
	return router{buckets: buckets, seed: maphash.MakeSeed(), shift: uint(64 - bits.TrailingZeros(uint(buckets)))}
}

// bucket returns v's bucket.
func (r router) bucket(v []byte) int { return int(maphash.Bytes(r.seed, v) >> r.shift) }

// fanOut returns how many buckets n records need, each costing perRecord
// bytes of memory once its bucket is loaded, for one bucket to fit in a
// quarter of the memory budget, less reserved, with a quarter to spare for
// buckets above the average. The rest of the budget is the collector's
// headroom (with the default GOGC the heap may reach twice what is live)
// and what runs beside the bucket. More buckets cost little: the records
// go through scratch files whatever their number. It is a power of two
// (shuffle.BucketsFor); Config.JoinShards, a test knob, overrides it.
func (s *Service) fanOut(n uint64, perRecord int, reserved int64) int {
	if s.shards > 0 {
		return 1 << bits.Len(uint(s.shards-1))
	}
	// Whatever is reserved, a bucket may use a quarter of the least
	// budget: fewer records per bucket would only multiply the files.
	avail := max(s.memBudget/4-reserved, MinMemoryBudget/4)
	return shuffle.BucketsFor(n, uint64(avail)/uint64(perRecord+perRecord/4))
}

// spillBuffers is what the write buffers of one spill may take: a
// sixteenth of the budget, at most 16 MiB.
func (s *Service) spillBuffers() int { return int(min(s.memBudget/16, 16<<20)) }

// bucketCapacity is how many records of b to hold in memory at once: its
// largest bucket, but no more than twice the average and 4096 besides.
// The router spreads distinct values evenly, so only a party that repeats
// one value many times can make a bucket larger (makeRoom).
func bucketCapacity(b *spill.Buckets) uint64 {
	return min(b.Largest(), 2*b.Total()/uint64(b.Count())+4096)
}

// recordOrder is how the records of a bucket sort (radix.Sort): key is
// the 64 bits cmp compares first, eq tells a repeat.
type recordOrder[E any] struct {
	key func(*E) uint64
	cmp func(a, b E) int
	eq  func(a, b E) bool
}

func (o recordOrder[E]) sort(s []E) { radix.Sort(s, o.key, o.cmp) }

// makeRoom is called before a record is appended to s, a bucket being
// loaded. When s is full, it sorts s and keeps the first record of each
// run of equal ones, returning how many it dropped: a bucket that
// outgrows its capacity holds one value many times (bucketCapacity), and
// dropping the repeats keeps it within the memory planned. Only if the
// records are distinct does s grow.
func makeRoom[E any](s []E, o recordOrder[E]) ([]E, uint64) {
	if len(s) < cap(s) {
		return s, 0
	}
	o.sort(s)
	kept := slices.CompactFunc(s, o.eq)
	return kept, uint64(len(s) - len(kept))
}
