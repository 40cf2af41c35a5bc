package session

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"

	"github.com/blindjoin/blindjoin/protocol/policy"
)

// joinEntry is one join digest with the counting position, in the set of
// the party it came from, of the record it stands for: 20 bytes, so a
// million-record set costs 20 MB, held in one flat slice.
type joinEntry struct {
	digest [16]byte
	pos    uint32
}

// compareEntries orders entries by digest (read as two big-endian words,
// which sorts like the bytes but compares faster), then by position.
func compareEntries(a, b joinEntry) int {
	if c := compareDigests(&a.digest, &b.digest); c != 0 {
		return c
	}
	return cmp.Compare(a.pos, b.pos)
}

func compareDigests(a, b *[16]byte) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

// activation is a linked media-partner record that may be released for
// targeting, with the advertiser segments (as a mask) it may be released in.
type activation struct {
	record   uint32 // index in the partner's uploaded set
	segments uint64
}

// tally is the exact outcome of a join, before the policy decides what is
// released.
type tally struct {
	overlap     int64   // linked pairs
	byKey       []int64 // per round (the session's keys in order): pairs it linked
	segments    []int64 // per advertiser segment: linked pairs whose advertiser row is in it
	activations []activation
	actCounts   []int64 // per segment: linked pairs released for activation
}

// joinInput is one side's contribution to the join.
type joinInput struct {
	entries []joinEntry // digests of this side's identifiers (re-blinded by the other side)
	set     *countingSet
	eval    *policy.Evaluator
}

// joinRules is what the session's policy says about the join.
type joinRules struct {
	rounds   int    // match keys, in priority order
	block    bool   // conflicts "block": an earlier key on both rows blocks a link
	segments int    // the session's segments
	actMask  uint64 // segments released for activation
}

// pair is a candidate link: counting rows of both parties that hold the
// same identifier of one key.
type pair struct{ adv, partner uint32 }

// join links advertiser rows to media-partner rows by the waterfall of
// protocol/SPEC.md ("Multi-key matching", rules 3 and 4) and tallies the
// links; a one-key session is its one round. It is a pure function of its
// inputs, which live in memory, so a job can call it.
//
//  1. Both digest lists are sorted (at the same time on two cores) and
//     merged. The intake refused any element twice in one party's set, so
//     a digest found on both sides is one identifier of one row on each:
//     a candidate pair of the round of its key. A digest that two parties
//     put under different keys links nothing; of a digest one party
//     repeats, only its lowest row takes part.
//  2. Round t takes its candidates, in any order (a row has at most one
//     candidate per round): a pair is linked unless either row is already
//     linked, or, with block, both rows carry some key of an earlier round
//     (their values differ, or they would have been candidates then).
//  3. Each linked pair counts once in the overlap and in its round; in the
//     segments of its advertiser row; and for activation when both rows
//     pass the activation rule, in those segments allowed by actMask.
//
// Cost: the sort, then linear in identifiers; nothing is allocated per
// identifier beyond the candidate pairs (8 bytes each) and two bit sets.
func join(adv, partner joinInput, rules joinRules) tally {
	var sorted sync.WaitGroup
	sorted.Go(func() { slices.SortFunc(adv.entries, compareEntries) })
	slices.SortFunc(partner.entries, compareEntries)
	sorted.Wait()
	candidates := make([][]pair, rules.rounds)
	a, b := adv.entries, partner.entries
	for len(a) > 0 && len(b) > 0 {
		switch c := compareDigests(&a[0].digest, &b[0].digest); {
		case c < 0:
			a = a[1:]
			continue
		case c > 0:
			b = b[1:]
			continue
		}
		if k := adv.set.key(a[0].pos); k == partner.set.key(b[0].pos) && int(k) < rules.rounds {
			candidates[k] = append(candidates[k], pair{adv.set.row(a[0].pos), partner.set.row(b[0].pos)})
		}
		a, b = a[digestRunLength(a):], b[digestRunLength(b):]
	}

	t := tally{byKey: make([]int64, rules.rounds), segments: make([]int64, rules.segments), actCounts: make([]int64, rules.segments)}
	linkedAdv, linkedPartner := newBitset(adv.set.rows), newBitset(partner.set.rows)
	for round, pairs := range candidates {
		earlier := uint8(1)<<round - 1
		for _, p := range pairs {
			if linkedAdv.has(p.adv) || linkedPartner.has(p.partner) {
				continue
			}
			if rules.block && adv.set.keysOf(p.adv)&partner.set.keysOf(p.partner)&earlier != 0 {
				continue
			}
			linkedAdv.set(p.adv)
			linkedPartner.set(p.partner)
			t.overlap++
			t.byKey[round]++
			t.link(adv, partner, p, rules.actMask)
		}
	}
	return t
}

// link tallies the segments and the activation of one linked pair.
func (t *tally) link(adv, partner joinInput, p pair, actMask uint64) {
	advBits := adv.set.bits[p.adv]
	segs := adv.eval.Segments(advBits)
	addBits(t.segments, segs)
	if !adv.eval.Activates(advBits) || !partner.eval.Activates(partner.set.bits[p.partner]) {
		return
	}
	if segs &= actMask; segs != 0 {
		t.activations = append(t.activations, activation{record: partner.set.index[p.partner], segments: segs})
		addBits(t.actCounts, segs)
	}
}

// digestRunLength counts the leading entries of sorted es that share the
// first entry's digest. The intake makes it 1; of a longer run only the
// first entry, the lowest row, takes part (rule 2 "first" again), so that
// one person is never counted several times whatever reaches the join.
func digestRunLength(es []joinEntry) int {
	n := 1
	for n < len(es) && es[n].digest == es[0].digest {
		n++
	}
	return n
}

// bitset is one bit per counting row: whether it is linked.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) has(i uint32) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i uint32)      { b[i/64] |= 1 << (i % 64) }

// addBits adds 1 to counts[j] for every bit j set in mask.
func addBits(counts []int64, mask uint64) {
	for mask != 0 {
		j := bits.TrailingZeros64(mask)
		if j < len(counts) {
			counts[j]++
		}
		mask &= mask - 1
	}
}
