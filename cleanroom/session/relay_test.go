package session

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/shuffle"
	"github.com/blindjoin/blindjoin/protocol/transcript"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// TestBucketedRelay runs whole sessions whose relays are cut into 1, 4
// and 64 buckets (a bucket size far below the default, so that small sets
// take the path of large ones): the relayed set is the other party's
// counting elements, each once, in an order that is neither the upload
// order nor another bucket count's; the relayed event records the bucket
// count; and the join, which derives the order again, gives the truth.
func TestBucketedRelay(t *testing.T) {
	pol, err := policy.Parse([]byte(fullPolicy))
	if err != nil {
		t.Fatal(err)
	}
	advRows, partnerRows := fullRows()
	mask, _ := pol.SegmentMask(fullSegments)
	want := groundTruth(t, advRows, partnerRows, len(fullSegments), mask)
	orders := map[int][][]byte{}
	for _, tc := range []struct {
		perBucket uint64
		buckets   int
	}{{0, 1}, {uint64(want.partnerRows) / 3, 4}, {uint64(want.partnerRows) / 40, 64}} {
		t.Run(strconv.Itoa(tc.buckets), func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.RelayBucketRecords = tc.perBucket })
			sess := h.createJoined(fullPolicy, fullSegments...)
			a := newParty(t, adv, advRows, pol, len(fullSegments))
			b := newParty(t, partner, partnerRows, pol, 0)
			h.uploadBlinded(sess.ID, a, 700)
			h.uploadBlinded(sess.ID, b, 1000)
			toAdv := relayedElements(t, h.download(sess.ID, adv))
			if len(toAdv) != int(want.partnerRows) {
				t.Fatalf("relay to the advertiser has %d elements, want the partner's %d counting records", len(toAdv), want.partnerRows)
			}
			var counting [][]byte
			for i, rec := range b.blindedRecords(t) {
				if partnerRows[i].counts() {
					counting = append(counting, rec[:wire.ElementSize])
				}
			}
			if slices.EqualFunc(toAdv, counting, bytes.Equal) {
				t.Fatal("the relay kept the upload order")
			}
			sorted := func(s [][]byte) [][]byte {
				s = slices.Clone(s)
				slices.SortFunc(s, bytes.Compare)
				return s
			}
			if !slices.EqualFunc(sorted(toAdv), sorted(counting), bytes.Equal) {
				t.Fatal("the relay is not the partner's counting elements, each once")
			}
			for buckets, other := range orders {
				if slices.EqualFunc(toAdv, other, bytes.Equal) {
					t.Fatalf("%d and %d buckets relayed in the same order", buckets, tc.buckets)
				}
			}
			orders[tc.buckets] = toAdv

			h.uploadReblinded(sess.ID, adv, wiretest.Reblind(t, a.key, h.download(sess.ID, adv)))
			h.uploadReblinded(sess.ID, partner, wiretest.Reblind(t, b.key, h.download(sess.ID, partner)))
			ra, rb := h.results(sess.ID)
			checkResults(t, ra, rb, want, pol.K, fullSegments, []string{"loyal", "new"})

			relayed := h.relayedEvents(sess.ID)
			if len(relayed) != 2 {
				t.Fatalf("%d relayed events", len(relayed))
			}
			for _, e := range relayed {
				wantBuckets := tc.buckets // of the partner's set, relayed to the advertiser
				if e.Data[transcript.KeySide] == string(api.RoleMediaPartner) {
					wantBuckets = shuffle.BucketsFor(uint64(want.advRows), cmp.Or(tc.perBucket, DefaultRelayBucketRecords))
				}
				if e.Data[keyBuckets] != strconv.Itoa(wantBuckets) {
					t.Errorf("relayed event to %s records %q buckets, want %d", e.Data[transcript.KeySide], e.Data[keyBuckets], wantBuckets)
				}
			}
		})
	}
}

// relayedElements returns the elements of downloaded relay parts, in order.
func relayedElements(t *testing.T, parts [][]byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range parts {
		out = append(out, wiretest.Decode(t, p).Records...)
	}
	return out
}

// TestRelayBucketsOfEarlierRelays: a relayed event written before buckets
// existed names none and stands for the one-bucket permutation; a count
// that is not a number is a corrupt store, not a guess.
func TestRelayBucketsOfEarlierRelays(t *testing.T) {
	h := newHarness(t)
	sess := h.createJoined(fullPolicy, fullSegments...)
	ctx := context.Background()
	for _, tc := range []struct {
		data map[string]string
		want int
		err  error
	}{
		{map[string]string{transcript.KeySide: string(api.RoleAdvertiser)}, 1, nil},
		{map[string]string{transcript.KeySide: string(api.RoleMediaPartner), keyBuckets: "16"}, 16, nil},
	} {
		err := h.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
			return h.svc.record(ctx, tx, sess.ID, serverActor, typeRelayed, tc.data)
		})
		if err != nil {
			t.Fatal(err)
		}
		recipient := api.Role(tc.data[transcript.KeySide])
		err = h.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
			got, err := relayBuckets(ctx, tx, sess.ID, recipient)
			if err == nil && got != tc.want {
				t.Errorf("%s: %d buckets, want %d", recipient, got, tc.want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	other := h.createJoined(fullPolicy, fullSegments...)
	err := h.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		return h.svc.record(ctx, tx, other.ID, serverActor, typeRelayed, map[string]string{transcript.KeySide: "advertiser", keyBuckets: "sixteen"})
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = h.store.ReadOnly(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := relayBuckets(ctx, tx, other.ID, api.RoleAdvertiser); err == nil {
			t.Error("a bucket count that is not a number was read")
		}
		if _, err := relayBuckets(ctx, tx, other.ID, api.RoleMediaPartner); err == nil {
			t.Error("a relay never recorded has a bucket count")
		}
		return nil
	})
}

// TestRelayBucketsFollowTheBudget: a relay bucket stays within an eighth
// of the memory budget, and never above the default size.
func TestRelayBucketsFollowTheBudget(t *testing.T) {
	for _, tc := range []struct {
		budget int64
		want   uint64
	}{
		{0, DefaultRelayBucketRecords},
		{2 << 30, DefaultRelayBucketRecords},
		{MinMemoryBudget, MinMemoryBudget / (8 * 36)},
		{256 << 20, (256 << 20) / (8 * 36)},
	} {
		cfg, err := Config{DataDir: t.TempDir(), Store: newHarness(t).store, Floor: testFloor(), MemoryBudget: tc.budget}.withDefaults(nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.RelayBucketRecords != tc.want {
			t.Errorf("budget %d: %d records per relay bucket, want %d", tc.budget, cfg.RelayBucketRecords, tc.want)
		}
	}
}

// relayedEvents returns the relayed events of session id's transcript.
func (h *harness) relayedEvents(id string) []transcript.Event {
	h.t.Helper()
	tr, err := h.svc.Transcript(context.Background(), aud, id)
	if err != nil {
		h.t.Fatal(err)
	}
	var relayed []transcript.Event
	for _, e := range tr.Events {
		if e.Type == typeRelayed {
			relayed = append(relayed, e)
		}
	}
	return relayed
}
