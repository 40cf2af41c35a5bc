package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// countingRecords splits a party's blinded records into those that count
// and those that do not, under the session's policy.
func countingRecords(t *testing.T, pd *partyData) (counting, other [][]byte) {
	t.Helper()
	for i, rec := range pd.blindedRecords(t) {
		if pd.rows[i].counts() {
			counting = append(counting, rec)
		} else {
			other = append(other, rec)
		}
	}
	if len(counting) < 30 || len(other) == 0 {
		t.Fatalf("test data: %d counting and %d other records", len(counting), len(other))
	}
	return counting, other
}

// withBits is rec with other attribute bits: the same element, another row.
func withBits(rec []byte, bits uint64, attrs []wire.Attr) []byte {
	return wiretest.BlindedRecord(blind.Element(rec[:wire.ElementSize]), bits, attrs)
}

// TestDuplicateElements: a blinded set whose counting records repeat an
// element is refused when its last part arrives, wherever the repeats are
// (across parts, within the final part, with other attribute bits); the
// refused part is not recorded, the session does not move, and the set can
// still be completed without the repeats. Repeats among records that do not
// count are harmless and accepted.
func TestDuplicateElements(t *testing.T) {
	ctx := context.Background()
	a, _ := smallParties(t, smallPolicy, 0)
	counting, other := countingRecords(t, a)
	all := ^uint64(0) >> (64 - len(a.attrs))
	cases := []struct {
		name    string
		first   [][]byte // part 0, not final
		last    [][]byte // part 1, final: no longer than part 0
		repeats uint64
	}{
		{"repeat across parts", counting[:20], append(slices.Clone(counting[20:30]), counting[3]), 1},
		{"repeat within the final part", counting[:20], append(slices.Clone(counting[20:30]), counting[25], counting[25]), 2},
		{"same element, other bits", counting[:20], append(slices.Clone(counting[20:30]), withBits(counting[0], all, a.attrs)), 1},
		{"one element 30 times", slices.Repeat(counting[:1], 15), slices.Repeat(counting[:1], 15), 29},
	}
	// With 16 buckets the repeats are counted bucket by bucket, as for a
	// set larger than the memory budget.
	for _, tc := range cases {
		for _, buckets := range []int{0, 16} {
			t.Run(fmt.Sprintf("%s/%d buckets", tc.name, buckets), func(t *testing.T) {
				h := newHarness(t, func(c *Config) { c.JoinShards = buckets })
				sess := h.createJoined(smallPolicy)
				parts := wiretest.Parts(t, sess.ID, wire.KindBlinded, a.attrs, append(slices.Clone(tc.first), tc.last...), len(tc.first))
				first, last := parts[0], parts[1]
				if _, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(first)); err != nil {
					t.Fatal(err)
				}
				_, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(last))
				wantErr(t, err, ErrDuplicate)
				if de, ok := errors.AsType[*DuplicateError](err); !ok || de.Repeats != tc.repeats {
					t.Fatalf("error %v, want %d repeats", err, tc.repeats)
				}
				got, _ := h.svc.Get(ctx, adv, sess.ID)
				if got.State != api.StateUploading || got.Uploads.Advertiser.BlindedParts != 1 || got.Uploads.Advertiser.BlindedComplete {
					t.Fatalf("after the refusal: state %s, %+v", got.State, got.Uploads.Advertiser)
				}
				h.wantOnlyRecordedFiles(sess.ID)

				// The same set without the repeats completes.
				var kept [][]byte
				seen := map[[wire.ElementSize]byte]bool{}
				for _, rec := range append(slices.Clone(tc.first), tc.last...) {
					if e := [wire.ElementSize]byte(rec); !seen[e] {
						seen[e] = true
						kept = append(kept, rec)
					}
				}
				if len(kept) < 10 {
					return // too few distinct records for min_rows: TestTooFewDistinct
				}
				fixed := wiretest.Parts(t, sess.ID, wire.KindBlinded, a.attrs, kept, len(tc.first))[1]
				if r, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(fixed)); err != nil || !r.Complete {
					t.Fatalf("the set without repeats: %+v, %v", r, err)
				}
			})
		}
	}

	t.Run("repeats that do not count", func(t *testing.T) {
		h := newHarness(t)
		sess := h.createJoined(smallPolicy)
		recs := append(slices.Clone(counting), other[0], other[0])
		part := wiretest.Parts(t, sess.ID, wire.KindBlinded, a.attrs, recs, len(recs))[0]
		if r, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(part)); err != nil || !r.Complete {
			t.Fatalf("%+v, %v", r, err)
		}
	})
}

// TestDuplicateOverfillsABucket: one element 6,001 times among distinct
// ones fills its bucket of the duplicate check beyond what the check holds
// at once (with 16 buckets, bucketCapacity); the repeats are counted as the
// bucket loads, exactly.
func TestDuplicateOverfillsABucket(t *testing.T) {
	a, _ := smallParties(t, smallPolicy, 0)
	counting, _ := countingRecords(t, a)
	recs := append(slices.Clone(counting), slices.Repeat(counting[:1], 6000)...)
	rand.New(rand.NewPCG(5, 8)).Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	for _, buckets := range []int{0, 16} {
		h := newHarness(t, func(c *Config) { c.JoinShards = buckets })
		sess := h.createJoined(smallPolicy)
		part := wiretest.Parts(t, sess.ID, wire.KindBlinded, a.attrs, recs, len(recs))[0]
		_, err := h.svc.PutBlinded(context.Background(), adv, sess.ID, bytes.NewReader(part))
		if de, ok := errors.AsType[*DuplicateError](err); !ok || de.Repeats != 6000 {
			t.Fatalf("%d buckets: error %v, want 6000 repeats", buckets, err)
		}
	}
}

// TestTooFewDistinct: min_rows counts people. A set with min_rows counting
// records of which one repeats is refused, a set of one fewer distinct
// records is too small, and exactly min_rows distinct records pass.
func TestTooFewDistinct(t *testing.T) {
	ctx := context.Background()
	const policyJSON = `{"min_rows": 20, "k": 5}`
	a, _ := smallParties(t, policyJSON, 0)
	counting, _ := countingRecords(t, a)
	for _, tc := range []struct {
		name string
		recs [][]byte
		want error
	}{
		{"19 people, one twice", append(slices.Clone(counting[:19]), counting[7]), ErrDuplicate},
		{"19 people", counting[:19], ErrTooFewRows},
		{"one person 20 times", slices.Repeat(counting[:1], 20), ErrDuplicate},
		{"20 people", counting[:20], nil},
	} {
		h := newHarness(t)
		sess := h.createJoined(policyJSON)
		part := wiretest.Parts(t, sess.ID, wire.KindBlinded, a.attrs, tc.recs, len(tc.recs))[0]
		_, err := h.svc.PutBlinded(ctx, adv, sess.ID, bytes.NewReader(part))
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestJoinActivatesPeople: whatever reaches the join, a person repeated in
// the partner's set is one activation and counts once towards the
// activation threshold (and the overlap).
func TestJoinActivatesPeople(t *testing.T) {
	pol := policy.Default()
	side := func(segments int, digests [][16]byte) ([]joinEntry, *policy.Evaluator) {
		attrs, err := pol.Attrs(segments)
		if err != nil {
			t.Fatal(err)
		}
		eval, err := policy.NewEvaluator(pol, attrs)
		if err != nil {
			t.Fatal(err)
		}
		var entries []joinEntry
		for i, d := range digests {
			r := joinRow{row: uint64(i), index: uint64(100 + i), bits: ^uint64(0) >> (64 - len(attrs)), keys: 1}
			entries = append(entries, joinEntry{digest: d, joinRow: r})
		}
		// The join reads entries in relay order, not row order.
		slices.Reverse(entries)
		return entries, eval
	}
	target, other := [16]byte{1}, [16]byte{2}
	partnerDigests := slices.Repeat([][16]byte{target}, 50)
	for i := range 1000 { // filler nobody else holds
		partnerDigests = append(partnerDigests, [16]byte{3, byte(i >> 8), byte(i)})
	}
	a, advEval := side(1, [][16]byte{other, target})
	p, partnerEval := side(0, partnerDigests)
	var activations []activation
	rules := joinRules{rounds: 1, segments: 1, actMask: 1, activate: func(a activation) { activations = append(activations, a) }}
	l := newLinker(rules, advEval, partnerEval, uint64(len(a)), uint64(len(p)))
	if err := mergeShard(a, p, 1, func(round int, p pair) error { l.offer(round, p); return nil }); err != nil {
		t.Fatal(err)
	}
	tl := l.t
	if tl.overlap != 1 || len(activations) != 1 || !slices.Equal(tl.actCounts, []int64{1}) || !slices.Equal(tl.segments, []int64{1}) {
		t.Fatalf("overlap %d, %d activations, activation counts %v, segments %v; want 1, 1, [1], [1]",
			tl.overlap, len(activations), tl.actCounts, tl.segments)
	}
	if a := activations[0]; a.record != 100 || a.segments != 1 {
		t.Fatalf("activation %+v, want the first of the target's records (100) in segment 0", a)
	}
}
