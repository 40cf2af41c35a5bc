package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// The package doc promises 20 bytes per record per side for the join.
func TestJoinEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(joinEntry{}); n != 20 {
		t.Fatalf("joinEntry is %d bytes", n)
	}
}

// BenchmarkJoin measures the sort-merge join of two sets of n records with
// half of them in common.
func BenchmarkJoin(b *testing.B) {
	const n = 1 << 20
	pol := policy.Default()
	attrs, _ := pol.Attrs(0)
	eval, _ := policy.NewEvaluator(pol, attrs)
	rng := rand.New(rand.NewPCG(1, 1))
	mk := func(offset int) joinInput {
		in := joinInput{entries: make([]joinEntry, n), set: &countingSet{rows: n, n: n, bits: make([]uint64, n), index: make([]uint32, n)}, eval: eval}
		for i := range in.entries {
			var d [16]byte
			v := uint64(i + offset)
			for k := range 8 {
				d[k] = byte(v >> (8 * k))
			}
			d[8] = byte(rng.Uint32())
			in.entries[i] = joinEntry{digest: d, pos: uint32(i)}
			in.set.bits[i] = ^uint64(0) >> (64 - len(attrs))
			in.set.index[i] = uint32(i)
		}
		rng.Shuffle(n, func(i, j int) { in.entries[i], in.entries[j] = in.entries[j], in.entries[i] })
		return in
	}
	a, p := mk(0), mk(n/2)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		ea, ep := append([]joinEntry(nil), a.entries...), append([]joinEntry(nil), p.entries...)
		rng.Shuffle(n, func(i, j int) { ea[i], ea[j] = ea[j], ea[i] })
		b.StartTimer()
		join(joinInput{entries: ea, set: a.set, eval: eval}, joinInput{entries: ep, set: p.set, eval: eval}, joinRules{rounds: 1})
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
