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

// activation is a matched media-partner record that may be released for
// targeting, with the advertiser segments (as a mask) it may be released in.
type activation struct {
	record   uint32 // index in the partner's uploaded set
	segments uint64
}

// tally is the exact outcome of a join, before the policy decides what is
// released.
type tally struct {
	overlap     int64   // distinct digests on both sides
	segments    []int64 // per advertiser segment: distinct matched digests of its members
	activations []activation
	actCounts   []int64 // per segment: matched digests released for activation
}

// joinInput is one side's contribution to the join.
type joinInput struct {
	entries []joinEntry // digests of this side's records (re-blinded by the other side)
	set     *countingSet
	eval    *policy.Evaluator
}

// join sort-merges the two digest lists. adv's entries point at advertiser
// records and partner's at media-partner records, so that each matched digest
// links the rows of both parties that hold the same identifier:
//
//   - the overlap counts distinct matched digests (duplicate rows of one
//     identifier count once);
//   - segment j counts the distinct matched digests with at least one
//     advertiser row in segment j;
//   - a partner row is eligible for activation in segment j if it passes
//     the activation rule and an advertiser row with the same digest passes
//     it too and is in segment j, with j allowed by actMask;
//   - each matched digest gives at most one activation, the first eligible
//     partner record of the digest, and counts once in actCounts: the
//     activation threshold counts people, not rows a party controls. The
//     intake already refuses sets with repeated elements (checkDistinct);
//     this holds whatever reaches the join.
//
// Both slices are sorted in place, at the same time on two cores; nothing
// is allocated per record.
func join(adv, partner joinInput, segments int, actMask uint64) tally {
	var sorted sync.WaitGroup
	sorted.Go(func() { slices.SortFunc(adv.entries, compareEntries) })
	slices.SortFunc(partner.entries, compareEntries)
	sorted.Wait()
	t := tally{segments: make([]int64, segments), actCounts: make([]int64, segments)}
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
		na, nb := digestRunLength(a), digestRunLength(b)
		t.overlap++
		var member, activatable uint64
		for _, e := range a[:na] {
			rowBits := adv.set.bits[e.pos]
			segs := adv.eval.Segments(rowBits)
			member |= segs
			if adv.eval.Activates(rowBits) {
				activatable |= segs
			}
		}
		addBits(t.segments, member)
		if activatable &= actMask; activatable != 0 {
			for _, e := range b[:nb] {
				if partner.eval.Activates(partner.set.bits[e.pos]) {
					t.activations = append(t.activations, activation{record: partner.set.index[e.pos], segments: activatable})
					addBits(t.actCounts, activatable)
					break
				}
			}
		}
		a, b = a[na:], b[nb:]
	}
	return t
}

// digestRunLength counts the leading entries of sorted es that share the
// first entry's digest: the rows of one party that hold one identifier.
func digestRunLength(es []joinEntry) int {
	n := 1
	for n < len(es) && es[n].digest == es[0].digest {
		n++
	}
	return n
}

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
