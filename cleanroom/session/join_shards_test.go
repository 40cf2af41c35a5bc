package session

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/policy"
)

// shardCounts and relayBucketCounts are the join shard counts (3 is
// rounded up to 4) and relay bucket counts under which the sharded join
// must give the single-node results.
var (
	shardCounts       = []int{1, 3, 16}
	relayBucketCounts = []uint64{1, 4, 16}
)

// perBucket is the RelayBucketRecords that cuts the relay of a set of at
// most n identifiers into about buckets buckets (0, the default, for one).
func perBucket(n uint64, buckets uint64) uint64 {
	if buckets == 1 {
		return 0
	}
	return (n + buckets - 1) / buckets
}

// shardedHarness is a harness whose join runs in shards shards, whose
// relays are cut into buckets of perBucket identifiers, and whose scratch
// files go to a directory of the test's own.
func shardedHarness(t *testing.T, shards int, perBucket uint64) *harness {
	return newHarness(t, func(c *Config) {
		c.JoinShards, c.RelayBucketRecords, c.ScratchDir = shards, perBucket, t.TempDir()
	})
}

// wantJoined fails the test unless the join of session id logged that it
// ran in shards shards (a shard count rounded up to a power of two) and
// left no scratch file and no join file behind.
func (h *harness) wantJoined(id string, shards int) {
	h.t.Helper()
	want := 1
	for want < shards {
		want *= 2
	}
	if !strings.Contains(h.logs.String(), fmt.Sprintf(`"join_shards":%d,`, want)) {
		h.t.Fatalf("the join did not run in %d shards; log:\n%s", want, h.logs.String())
	}
	if left, err := os.ReadDir(h.cfg.ScratchDir); err != nil || len(left) != 0 {
		h.t.Fatalf("scratch directory holds %d entries after the session (%v)", len(left), err)
	}
	if left := h.joinFileDirs(id); len(left) != 0 {
		h.t.Fatalf("join files left after the session: %v", left)
	}
}

// TestShardedJoinOneKey runs whole one-key sessions through the service
// with the join cut into 1, 4 and 16 shards and the relays into 1, 4 and
// 16 buckets: every released figure is the ground truth, which is what the
// single-node join releases.
func TestShardedJoinOneKey(t *testing.T) {
	const policyJSON = `{"min_rows": 10, "k": 5, "activation_segments": ["loyal", "new", "rare"]}`
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(13, 17))
	advRows := genRows(rng, span(0, 1000), len(fullSegments))
	partnerRows := genRows(rng, span(400, 1600), 0)
	for i := range advRows {
		if advRows[i].id%83 != 0 {
			advRows[i].segments &^= 1 << 3 // "rare": below k
		}
	}
	mask, _ := pol.SegmentMask(fullSegments)
	want := groundTruth(t, advRows, partnerRows, len(fullSegments), mask)
	for _, shards := range shardCounts {
		for _, buckets := range relayBucketCounts {
			t.Run(fmt.Sprintf("shards=%d/buckets=%d", shards, buckets), func(t *testing.T) {
				h := shardedHarness(t, shards, perBucket(uint64(max(want.advRows, want.partnerRows)), buckets))
				sess := h.createJoined(policyJSON, fullSegments...)
				a := newParty(t, adv, advRows, pol, len(fullSegments))
				b := newParty(t, partner, partnerRows, pol, 0)
				ra, rb := h.runSession(sess.ID, a, b, 300)
				h.wantJoined(sess.ID, shards)
				checkResults(t, ra, rb, want, pol.K, fullSegments, []string{"loyal", "new"})
			})
		}
	}
}

// TestShardedJoinMultiKey runs whole three-key sessions, under both
// conflict rules and both duplicate rules, with the join in 1, 4 and 16
// shards and the relays in 1, 4 and 16 buckets (4 only, but under the
// default rules): the waterfall across
// shards releases exactly what the rules give over the plaintext rows
// (waterfallTruth), as the single-node join does.
func TestShardedJoinMultiKey(t *testing.T) {
	for _, conflicts := range []policy.Conflicts{policy.ConflictsBlock, policy.ConflictsIgnore} {
		for _, dups := range []policy.Duplicates{policy.DuplicatesFirst, policy.DuplicatesDrop} {
			advRows, partnerRows := randomKeyed(rand.New(rand.NewPCG(19, 23)), 500, dups)
			byKey, links := waterfallTruth(allKeys, conflicts == policy.ConflictsBlock, advRows, partnerRows)
			for i, pairs := range byKey {
				if pairs < 5 {
					t.Fatalf("test data: round %s links %d pairs, under k", allKeys[i], pairs)
				}
			}
			policyJSON := mkPolicy(fmt.Sprintf(`, "conflicts": %q, "duplicates": %q`, conflicts, dups))
			identifiers := uint64(3 * max(len(advRows), len(partnerRows)))
			// Every pair of counts under the default rules; the other
			// rules are orthogonal to the sharding, so 4 relay buckets.
			bucketCounts := relayBucketCounts
			if conflicts != policy.ConflictsBlock || dups != policy.DuplicatesFirst {
				bucketCounts = []uint64{4}
			}
			for _, shards := range shardCounts {
				for _, buckets := range bucketCounts {
					name := fmt.Sprintf("%s/%s/shards=%d/buckets=%d", conflicts, dups, shards, buckets)
					t.Run(name, func(t *testing.T) {
						h := shardedHarness(t, shards, perBucket(identifiers, buckets))
						ra, rb, _, _ := h.runKeyed(policyJSON, advRows, partnerRows)
						h.wantJoined(ra.SessionID, shards)
						checkWaterfall(t, ra, rb, byKey, links, advRows)
					})
				}
			}
		}
	}
}

// randomKeyed draws the rows of both parties of a three-key session over
// people people, as their tools upload them: each party holds about two
// thirds of the people; a row has the person's e-mail (or, on some rows,
// a second persona's: a work address at the advertiser, a personal one at
// the partner), a phone that a household may share, and a MAID, each
// only sometimes; the e-mail is sometimes on a row of its own. Rule 2 of protocol/SPEC.md section 11 is then applied
// per party with dups (a shared phone stays on its first row, or leaves
// every row), and rows left without a key are dropped, as the tool does.
func randomKeyed(rng *rand.Rand, people int, dups policy.Duplicates) (advRows, partnerRows []mkRow) {
	party := func(persona string) []mkRow {
		var rows []mkRow
		for i := range people {
			if rng.IntN(3) == 0 {
				continue
			}
			ids := map[string]string{}
			if rng.IntN(10) < 7 {
				ids[policy.KeyEmail] = fmt.Sprintf("person%d@example.com", i)
				if rng.IntN(5) == 0 {
					ids[policy.KeyEmail] = fmt.Sprintf("%s%d@example.com", persona, i)
				}
			}
			if rng.IntN(10) < 6 {
				household := i
				if rng.IntN(5) == 0 {
					household = 5000 + i/4
				}
				ids[policy.KeyPhone] = fmt.Sprintf("+3361234%04d", household)
			}
			if rng.IntN(10) < 4 {
				ids[policy.KeyMAID] = fmt.Sprintf("6f1c2d3e-0000-4000-8000-%012d", i)
			}
			row := mkRow{ids: ids, seg: rng.IntN(2) == 0}
			if email, ok := ids[policy.KeyEmail]; ok && len(ids) > 1 && rng.IntN(5) == 0 {
				// The person's e-mail on a row of its own: the order of
				// the rounds decides which of the two rows links.
				delete(ids, policy.KeyEmail)
				rows = append(rows, mkRow{ids: map[string]string{policy.KeyEmail: email}, seg: !row.seg})
			}
			rows = append(rows, row)
		}
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		return dedupe(rows, dups)
	}
	return party("work"), party("personal")
}

// dedupe applies rule 2 to a party's rows and drops rows left with no key.
func dedupe(rows []mkRow, dups policy.Duplicates) []mkRow {
	for _, key := range allKeys {
		holders := map[string][]int{}
		for i, r := range rows {
			if v, ok := r.ids[key]; ok {
				holders[v] = append(holders[v], i)
			}
		}
		for _, at := range holders {
			if dups == policy.DuplicatesFirst {
				at = at[1:]
			} else if len(at) == 1 {
				continue
			}
			for _, i := range at {
				delete(rows[i].ids, key)
			}
		}
	}
	return slices.DeleteFunc(rows, func(r mkRow) bool { return len(r.ids) == 0 })
}

// TestRouterSpreadsChosenValues: a party chooses the digests it re-blinds
// and the elements it uploads, so it may send values that share their
// leading bits. The router's key keeps them spread over every bucket,
// while equal values still meet.
func TestRouterSpreadsChosenValues(t *testing.T) {
	const buckets, n = 16, 1 << 14
	r := newRouter(buckets)
	counts := make([]int, buckets)
	var v [16]byte // the first eight bytes, all zero, shared by every value
	for i := range n {
		binary.BigEndian.PutUint64(v[8:], uint64(i))
		counts[r.bucket(v[:])]++
		if r.bucket(v[:]) != r.bucket(slices.Clone(v[:])) {
			t.Fatal("equal values routed apart")
		}
	}
	for k, c := range counts {
		if c < n/buckets*3/4 || c > n/buckets*5/4 {
			t.Fatalf("bucket %d holds %d of %d values, far from the average %d: %v", k, c, n, n/buckets, counts)
		}
	}
	if one := newRouter(1); one.bucket(v[:]) != 0 {
		t.Fatal("one bucket, yet a value routed elsewhere")
	}
}

// TestShardOfOneRepeatedDigest: a party that re-blinds dishonestly may send
// one digest for many identifiers, which all land in one shard. Loading
// that shard keeps to the memory planned for it (the slice never grows
// beyond shardCapacity) and keeps, of the repeated digest, the entry the
// merge would use: the lowest row.
func TestShardOfOneRepeatedDigest(t *testing.T) {
	h := newHarness(t)
	capacity := h.svc.shardCapacity()
	repeats := 2 * capacity
	repeated := [16]byte{7, 7, 7}
	const key = "parts/s/join-0000000000000000/advertiser-0000000.entries"
	err := h.svc.putJoinFile(context.Background(), path.Dir(key)+"/", key, repeats+repeats/200, func(w io.Writer) error {
		rec := make([]byte, joinEntrySize)
		add := func(d [16]byte, row uint64) {
			copy(rec, d[:])
			putIdentifier(rec[16:], 0, joinRow{row: row, index: row, keys: 1})
			w.Write(rec)
		}
		for row := repeats; row > 0; row-- {
			add(repeated, row+100)
			if row%200 == 0 {
				add([16]byte{1, byte(row / 200 >> 8), byte(row / 200)}, row) // honest digests among them
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := h.svc.loadShard(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(cap(entries)) != capacity {
		t.Fatalf("the shard holds a slice of %d entries, want %d", cap(entries), capacity)
	}
	var rows []uint64
	honest := 0
	for _, e := range entries {
		if e.digest == repeated {
			rows = append(rows, e.row)
		} else {
			honest++
		}
	}
	if honest != int(repeats/200) || len(rows) == 0 || slices.Min(rows) != 101 {
		t.Fatalf("%d honest digests kept (want %d), repeated digest on rows %v (want 101 among them)", honest, repeats/200, rows)
	}
	partner := []joinEntry{{digest: repeated, joinRow: joinRow{row: 3, keys: 1}}}
	var got []pair
	err = mergeShard(entries, partner, 1, func(_ int, p pair) error { got = append(got, p); return nil })
	if err != nil || len(got) != 1 || got[0].adv.row != 101 {
		t.Fatalf("candidates %+v (%v), want one, of advertiser row 101", got, err)
	}
}
