package session

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"sync"

	"github.com/blindjoin/blindjoin/protocol/policy"
)

// joinRow is what the join needs of the counting row an identifier
// belongs to. Everything is 64-bit: a set may hold more than 2^32 rows.
type joinRow struct {
	row   uint64 // its number among its side's counting records
	index uint64 // its record index in the party's upload: what an activation names
	bits  uint64 // its attribute bits
	keys  uint8  // the session's match keys it carries (a mask; 1 in a one-key session)
}

// joinRowSize is a joinRow on scratch disk.
const joinRowSize = 8 + 8 + 8 + 1

func (r joinRow) put(dst []byte) {
	binary.BigEndian.PutUint64(dst, r.row)
	binary.BigEndian.PutUint64(dst[8:], r.index)
	binary.BigEndian.PutUint64(dst[16:], r.bits)
	dst[24] = r.keys
}

func getJoinRow(src []byte) joinRow {
	return joinRow{
		row:   binary.BigEndian.Uint64(src),
		index: binary.BigEndian.Uint64(src[8:]),
		bits:  binary.BigEndian.Uint64(src[16:]),
		keys:  src[24],
	}
}

// joinEntry is one join digest with the identifier it stands for: which
// of the session's keys (its round) and which row.
type joinEntry struct {
	digest [16]byte
	key    uint8
	joinRow
}

// joinEntrySize is a joinEntry on scratch disk: the digest, then the
// identifier (identifierSize), as the join's routing writes it.
// joinEntryMemory is its size in memory, what a shard costs per entry.
const (
	identifierSize  = 1 + joinRowSize
	joinEntrySize   = 16 + identifierSize
	joinEntryMemory = 56
)

// putIdentifier writes the key and row of an entry, without its digest.
func putIdentifier(dst []byte, key uint8, r joinRow) {
	dst[0] = key
	r.put(dst[1:])
}

func getJoinEntry(src []byte) joinEntry {
	return joinEntry{digest: [16]byte(src), key: src[16], joinRow: getJoinRow(src[17:])}
}

// compareEntries orders entries by digest (read as two big-endian words,
// which sorts like the bytes but compares faster), then by row and key:
// identifier order, so the first of a repeated digest is its lowest row.
func compareEntries(a, b joinEntry) int {
	if c := compareDigests(&a.digest, &b.digest); c != 0 {
		return c
	}
	if c := cmp.Compare(a.row, b.row); c != 0 {
		return c
	}
	return cmp.Compare(a.key, b.key)
}

// entryOrder sorts join entries by compareEntries; a repeat is an entry
// of the same digest.
var entryOrder = recordOrder[joinEntry]{
	key: func(e *joinEntry) uint64 { return binary.BigEndian.Uint64(e.digest[:8]) },
	cmp: compareEntries,
	eq:  func(a, b joinEntry) bool { return a.digest == b.digest },
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
	record   uint64 // index in the partner's uploaded set
	segments uint64
}

// tally is the exact outcome of a join, before the policy decides what is
// released. The activations themselves go to joinRules.activate.
type tally struct {
	overlap   int64   // linked pairs
	byKey     []int64 // per round (the session's keys in order): pairs it linked
	segments  []int64 // per advertiser segment: linked pairs whose advertiser row is in it
	actCounts []int64 // per segment: linked pairs released for activation
}

// joinRules is what the session's policy says about the join, and where
// its activations go.
type joinRules struct {
	rounds   int    // match keys, in priority order
	block    bool   // conflicts "block": an earlier key on both rows blocks a link
	segments int    // the session's segments
	actMask  uint64 // segments released for activation
	// activate receives each activation, in the order of the links
	// (compute passes its activationSpill's add); nil drops them.
	activate func(activation)
}

// pair is a candidate link: counting rows of both parties that hold the
// same identifier of one key.
type pair struct{ adv, partner joinRow }

// pairSize is a pair on scratch disk.
const pairSize = 2 * joinRowSize

func (p pair) put(dst []byte) {
	p.adv.put(dst)
	p.partner.put(dst[joinRowSize:])
}

func getPair(src []byte) pair {
	return pair{adv: getJoinRow(src), partner: getJoinRow(src[joinRowSize:])}
}

// mergeShard finds the candidate pairs among the entries of both sides
// that share their digests (a shard of the join, or all of it) and passes
// each to emit with its round. Both lists are sorted (at the same time, on
// two cores) and merged.
//
// The intake refused any element twice in one party's set, so a digest
// found on both sides is one identifier of one row on each: a candidate
// pair of the round of its key. A digest that two parties put under
// different keys links nothing; of a digest one party repeats, only its
// lowest row takes part (rule 2 "first" again), so that one person is
// never counted several times whatever reaches the join. A row thus has
// at most one candidate per round, which is why the rounds may take their
// candidates in any order and from any number of shards.
func mergeShard(adv, partner []joinEntry, rounds int, emit func(round int, p pair) error) error {
	var sorted sync.WaitGroup
	sorted.Go(func() { entryOrder.sort(adv) })
	entryOrder.sort(partner)
	sorted.Wait()
	a, b := adv, partner
	for len(a) > 0 && len(b) > 0 {
		switch c := compareDigests(&a[0].digest, &b[0].digest); {
		case c < 0:
			a = a[1:]
			continue
		case c > 0:
			b = b[1:]
			continue
		}
		if k := a[0].key; k == b[0].key && int(k) < rounds {
			if err := emit(int(k), pair{adv: a[0].joinRow, partner: b[0].joinRow}); err != nil {
				return err
			}
		}
		a, b = a[digestRunLength(a):], b[digestRunLength(b):]
	}
	return nil
}

// digestRunLength counts the leading entries of sorted es that share the
// first entry's digest. The intake makes it 1; of a longer run only the
// first entry, the lowest row, takes part.
func digestRunLength(es []joinEntry) int {
	n := 1
	for n < len(es) && es[n].digest == es[0].digest {
		n++
	}
	return n
}

// linker links candidate pairs by the waterfall of protocol/SPEC.md
// ("Multi-key matching", rules 3 and 4) and tallies the links. It is
// offered the candidates round by round in key order, each round's in
// any order:
//
//   - a pair of round t is linked unless either row is already linked,
//     or, with block, both rows carry some key of an earlier round (their
//     values differ, or they would have been candidates then);
//   - each linked pair counts once in the overlap and in its round; in
//     the segments of its advertiser row; and for activation when both
//     rows pass the activation rule, in those segments allowed by actMask,
//     its partner record then going to rules.activate.
//
// In a one-round join a row has one identifier, so it is in one candidate
// at most and every candidate is a link: no bit sets. With several rounds
// it keeps one bit per counting row and side (rows/8 bytes each), the one
// part of the join that grows with the sets.
type linker struct {
	rules                    joinRules
	adv, partner             *policy.Evaluator
	linkedAdv, linkedPartner bitset // nil in a one-round join
	t                        tally
}

func newLinker(rules joinRules, adv, partner *policy.Evaluator, advRows, partnerRows uint64) *linker {
	l := &linker{rules: rules, adv: adv, partner: partner, t: tally{
		byKey: make([]int64, rules.rounds), segments: make([]int64, rules.segments), actCounts: make([]int64, rules.segments),
	}}
	if rules.rounds > 1 {
		l.linkedAdv, l.linkedPartner = newBitset(advRows), newBitset(partnerRows)
	}
	return l
}

// offer links p, a candidate of round, unless a rule forbids it.
func (l *linker) offer(round int, p pair) {
	if l.linkedAdv != nil {
		if l.linkedAdv.has(p.adv.row) || l.linkedPartner.has(p.partner.row) {
			return
		}
		if earlier := uint8(1)<<round - 1; l.rules.block && p.adv.keys&p.partner.keys&earlier != 0 {
			return
		}
		l.linkedAdv.set(p.adv.row)
		l.linkedPartner.set(p.partner.row)
	}
	l.t.overlap++
	l.t.byKey[round]++
	segs := l.adv.Segments(p.adv.bits)
	addBits(l.t.segments, segs)
	if !l.adv.Activates(p.adv.bits) || !l.partner.Activates(p.partner.bits) {
		return
	}
	if segs &= l.rules.actMask; segs != 0 {
		if l.rules.activate != nil {
			l.rules.activate(activation{record: p.partner.index, segments: segs})
		}
		addBits(l.t.actCounts, segs)
	}
}

// bitset is one bit per counting row: whether it is linked.
type bitset []uint64

func newBitset(n uint64) bitset { return make(bitset, (n+63)/64) }

func (b bitset) has(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i uint64)      { b[i/64] |= 1 << (i % 64) }

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
