package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// A shard costs joinEntryMemory bytes per entry (fanOut's arithmetic and
// the package doc), and the scratch records are as long as their fields.
func TestJoinEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(joinEntry{}); n != joinEntryMemory {
		t.Fatalf("joinEntry is %d bytes, joinEntryMemory says %d", n, joinEntryMemory)
	}
	r := joinRow{row: 1<<40 + 1, index: 1<<33 + 7, bits: 1<<63 | 5, keys: 6}
	e := joinEntry{digest: [16]byte{1, 2, 3, 15: 16}, key: 2, joinRow: r}
	rec := make([]byte, joinEntrySize)
	copy(rec, e.digest[:])
	putIdentifier(rec[16:], e.key, e.joinRow)
	if got := getJoinEntry(rec); got != e {
		t.Fatalf("entry %+v read back as %+v", e, got)
	}
	p := pair{adv: r, partner: joinRow{row: 3, index: 1 << 35, bits: 9, keys: 1}}
	buf := make([]byte, pairSize)
	p.put(buf)
	if got := getPair(buf); got != p {
		t.Fatalf("pair %+v read back as %+v", p, got)
	}
}

// BenchmarkJoinShard measures one shard of the join as the join job runs
// it: the sort-merge of two sides of n entries with half of them in
// common, and the tally of the links.
func BenchmarkJoinShard(b *testing.B) {
	const n = 1 << 20
	pol := policy.Default()
	attrs, _ := pol.Attrs(0)
	eval, _ := policy.NewEvaluator(pol, attrs)
	rng := rand.New(rand.NewPCG(1, 1))
	mk := func(offset int) []joinEntry {
		entries := make([]joinEntry, n)
		for i := range entries {
			var d [16]byte
			v := uint64(i + offset)
			for k := range 8 {
				d[k] = byte(v >> (8 * k))
			}
			d[8] = byte(rng.Uint32())
			entries[i] = joinEntry{digest: d, joinRow: joinRow{row: uint64(i), index: uint64(i), bits: ^uint64(0) >> (64 - len(attrs)), keys: 1}}
		}
		return entries
	}
	a, p := mk(0), mk(n/2)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		ea, ep := slices.Clone(a), slices.Clone(p)
		rng.Shuffle(n, func(i, j int) { ea[i], ea[j] = ea[j], ea[i] })
		rng.Shuffle(n, func(i, j int) { ep[i], ep[j] = ep[j], ep[i] })
		b.StartTimer()
		l := newLinker(joinRules{rounds: 1}, eval, eval, n, n)
		if err := mergeShard(ea, ep, 1, func(round int, p pair) error { l.offer(round, p); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutBlinded measures the intake of one part of 20,000 records:
// decoding, strict element validation, policy evaluation, file write,
// fsync and commit.
func BenchmarkPutBlinded(b *testing.B) {
	const n = 20000
	h := newHarness(b)
	s := h.smallAt(api.StateJoined)
	recs := make([][]byte, n)
	bits := s.a.blindedRecords(b)[0][wire.ElementSize:]
	for i := range recs {
		var msg [8]byte
		binary.BigEndian.PutUint64(msg[:], uint64(i))
		e := blind.HashToElement(msg[:])
		recs[i] = append(e[:], bits...)
	}
	sid := wiretest.SessionID(b, s.id)
	parts := make([][]byte, b.N)
	for i := range parts {
		// Each iteration sends the next non-final part, never a re-send.
		parts[i] = wiretest.Part(b, wire.Header{Kind: wire.KindBlinded, Session: sid, Part: uint32(i), First: uint64(i * n), Attrs: s.a.attrs}, recs)
	}
	b.SetBytes(int64(len(parts[0])))
	b.ResetTimer()
	for i := range b.N {
		if _, err := h.svc.PutBlinded(context.Background(), adv, s.id, bytes.NewReader(parts[i])); err != nil {
			b.Fatal(err)
		}
	}
}
