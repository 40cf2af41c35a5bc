package session

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"iter"
	"math/bits"
	"slices"

	"github.com/blindjoin/blindjoin/internal/spill"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// The activation of a join (one record per linked media-partner row that
// may be released for targeting) grows with the overlap: millions of
// records at tens of millions of rows, more than the memory budget should
// hold, and the results list them in record order. So the linker writes
// them to scratch disk, into buckets by ranges of record index
// (activationSpill), and the release reads the buckets in order, sorts
// each in memory, and writes what the policy lets out to one file in
// record order (sortActivations), which the results' encoder then reads
// as often as it needs (activationRecords): one bucket in memory at a
// time, whatever the number of records.

// activationSize is an activation on scratch disk, and in memory.
const activationSize = 16

func (a activation) put(dst []byte) {
	binary.BigEndian.PutUint64(dst, a.record)
	binary.BigEndian.PutUint64(dst[8:], a.segments)
}

func getActivation(src []byte) activation {
	return activation{record: binary.BigEndian.Uint64(src), segments: binary.BigEndian.Uint64(src[8:])}
}

// compareActivations orders activations by record, then segments: a
// total order, so that every pass over the sorted activations reads them
// in the same order (a record has one activation at most, since a row is
// linked once).
func compareActivations(a, b activation) int {
	if c := cmp.Compare(a.record, b.record); c != 0 {
		return c
	}
	return cmp.Compare(a.segments, b.segments)
}

// activationSpill collects a join's activations on scratch disk, in
// buckets of consecutive record indexes. A media-partner row is linked
// once at most, so a bucket holds at most as many activations as its
// range has indexes: the range is what bounds the memory of its sort.
type activationSpill struct {
	w       *spill.Writer
	width   uint64 // record indexes per bucket
	buckets uint64
	rec     [activationSize]byte
	count   int64
	err     error // the first failed write; what follows is dropped
}

// newActivationSpill prepares the spill for a media partner's set of
// records records (its upload indexes are below records). A bucket's
// range is what a sixteenth of the budget holds, sorted in memory
// (Config.JoinShards, the tests' knob, fixes the number of buckets
// instead); its write buffers are a quarter of a spill's, since it fills
// beside the join's own spills, one record per linked pair at most.
func (s *Service) newActivationSpill(records uint64) (*activationSpill, error) {
	records = max(records, 1)
	buckets := ceilDiv(records, uint64(s.memBudget/16/activationSize))
	if s.shards > 0 {
		buckets = uint64(s.shards)
	}
	width := ceilDiv(records, buckets)
	buckets = ceilDiv(records, width)
	w, err := spill.Create(s.scratchDir, int(buckets), activationSize, s.spillBuffers()/4)
	if err != nil {
		return nil, fmt.Errorf("session: activation scratch: %w", err)
	}
	return &activationSpill{w: w, width: width, buckets: buckets}, nil
}

func ceilDiv(n, d uint64) uint64 { return (n + d - 1) / d }

// add writes a to its bucket. The linker cannot stop for an error, so
// the first one is kept for finish and the rest of the activations are
// dropped.
func (a *activationSpill) add(act activation) {
	if a.err != nil {
		return
	}
	k := act.record / a.width
	if k >= a.buckets {
		a.err = fmt.Errorf("%w: activation of record %d, beyond the media partner's set", errCorrupt, act.record)
		return
	}
	act.put(a.rec[:])
	a.err = a.w.Add(int(k), a.rec[:])
	a.count++
}

// abandon deletes a spill that will not be finished.
func (a *activationSpill) abandon() { a.w.Abandon() }

// finish returns the buckets, or the first error of add. The spill is
// gone after an error.
func (a *activationSpill) finish() (*spill.Buckets, error) {
	if a.err != nil {
		a.w.Abandon()
		return nil, fmt.Errorf("session: activation scratch: %w", a.err)
	}
	b, err := a.w.Finish()
	if err != nil {
		return nil, fmt.Errorf("session: activation scratch: %w", err)
	}
	return b, nil
}

// activationRelease is what the policy lets out of the activation: the
// segments with at least k activated people, in the session's order, and
// each record's list of indexes into them.
type activationRelease struct {
	segments []string
	mask     uint64 // the released segments' bits
	position []int  // per session segment: its index in segments
	// lists holds one list per combination of released segments: records
	// released in the same segments share it, since there are few
	// combinations and a slice per record would be a heap object per row.
	lists map[uint64][]int
}

// list returns the indexes of the released segments of mask.
func (r *activationRelease) list(mask uint64) []int {
	if l, ok := r.lists[mask]; ok {
		return l
	}
	l := make([]int, 0, bits.OnesCount64(mask))
	for m := mask; m != 0; m &= m - 1 {
		l = append(l, r.position[bits.TrailingZeros64(m)])
	}
	r.lists[mask] = l
	return l
}

// sortActivations reads the activations' buckets in order, sorts each in
// memory and writes those in released segments (their mask cut down to
// them) to one file, in record order.
func (s *Service) sortActivations(b *spill.Buckets, released uint64) (*spill.Buckets, error) {
	out, err := spill.Create(s.scratchDir, 1, activationSize, s.spillBuffers())
	if err != nil {
		return nil, fmt.Errorf("session: activation scratch: %w", err)
	}
	acts := make([]activation, 0, b.Largest())
	rec := make([]byte, activationSize)
	for k := range b.Count() {
		acts = acts[:0]
		err := b.Each(k, func(rec []byte) error {
			if a := getActivation(rec); a.segments&released != 0 {
				a.segments &= released
				acts = append(acts, a)
			}
			return nil
		})
		if err != nil {
			out.Abandon()
			return nil, fmt.Errorf("session: activation scratch: %w", err)
		}
		slices.SortFunc(acts, compareActivations)
		for _, a := range acts {
			a.put(rec)
			if err := out.Add(0, rec); err != nil {
				out.Abandon()
				return nil, fmt.Errorf("session: activation scratch: %w", err)
			}
		}
	}
	sorted, err := out.Finish()
	if err != nil {
		return nil, fmt.Errorf("session: activation scratch: %w", err)
	}
	return sorted, nil
}

// activationRecords is the records of sorted (sortActivations' file) as
// the results list them, read from scratch disk each time it is ranged
// over; a read error is yielded last.
func activationRecords(sorted *spill.Buckets, rel *activationRelease) iter.Seq2[api.ActivationRecord, error] {
	return api.RecordsFrom(func(emit func(api.ActivationRecord) error) error {
		err := sorted.Each(0, func(rec []byte) error {
			a := getActivation(rec)
			return emit(api.ActivationRecord{Record: a.record, Segments: rel.list(a.segments)})
		})
		if err != nil {
			return fmt.Errorf("session: activation scratch: %w", err)
		}
		return nil
	})
}
