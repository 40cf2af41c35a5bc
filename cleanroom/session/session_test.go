package session

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

var fullSegments = []string{"loyal", "new", "churn", "rare"}

const fullPolicy = `{"k": 50, "activation_segments": ["loyal", "new", "rare"]}`

// fullRows draws the two parties' rows: 3,000 advertiser rows (ids
// 0..2999) and 3,000 partner rows (ids 1500..4499), each id once per side
// (a set that repeats one is refused: TestDuplicateElements). Segment
// "rare" (bit 3) is kept on a handful of rows so that its counts fall
// below k.
func fullRows() (advRows, partnerRows []row) {
	rng := rand.New(rand.NewPCG(7, 11))
	advRows = genRows(rng, span(0, 3000), len(fullSegments))
	partnerRows = genRows(rng, span(1500, 4500), 0)
	for i := range advRows {
		if advRows[i].id%97 != 0 {
			advRows[i].segments &^= 1 << 3
		}
	}
	return advRows, partnerRows
}

func TestFullSession(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	sess := h.createJoined(fullPolicy, fullSegments...)
	pol, err := policy.Parse([]byte(fullPolicy))
	if err != nil {
		t.Fatal(err)
	}
	advRows, partnerRows := fullRows()
	a := newParty(t, adv, advRows, pol, len(fullSegments))
	b := newParty(t, partner, partnerRows, pol, 0)

	receipts := h.uploadBlinded(sess.ID, a, 700)
	if len(receipts) != 5 || !receipts[4].Complete || receipts[3].Complete || receipts[4].State != api.StateUploading {
		t.Fatalf("advertiser receipts: %+v", receipts)
	}
	receipts = append(receipts, h.uploadBlinded(sess.ID, b, 1000)...)
	if last := receipts[len(receipts)-1]; last.State != api.StateExchanging || !last.Complete {
		t.Fatalf("last blinded receipt: %+v", last)
	}
	joinA := wiretest.Reblind(t, a.key, h.download(sess.ID, adv))
	joinB := wiretest.Reblind(t, b.key, h.download(sess.ID, partner))
	if len(joinA) < 2 || len(joinB) < 2 {
		t.Fatalf("relays of %d and %d parts; the test wants several", len(joinA), len(joinB))
	}
	if r := h.uploadReblinded(sess.ID, adv, joinA); r.State != api.StateExchanging || !r.Complete {
		t.Fatalf("advertiser reblinded receipt: %+v", r)
	}
	// The receipt says exchanging: the join is a job, which
	// uploadReblinded ran before returning.
	if r := h.uploadReblinded(sess.ID, partner, joinB); r.State != api.StateExchanging || !r.Complete {
		t.Fatalf("partner reblinded receipt: %+v", r)
	}
	ra, rb := h.results(sess.ID)

	mask, _ := pol.SegmentMask(fullSegments)
	want := groundTruth(t, advRows, partnerRows, len(fullSegments), mask)
	// The data must exercise both sides of every threshold.
	if want.overlap < 500 || want.segments[3] >= 50 || want.segments[0] < 50 || want.actCounts[3] >= 50 || want.actCounts[1] < 50 {
		t.Fatalf("test data too weak: %+v", want)
	}
	checkResults(t, ra, rb, want, pol.K, fullSegments, []string{"loyal", "new"})

	// The session reports its progress, and the transcript verifies and
	// holds every part digest the parties were given.
	got, err := h.svc.Get(ctx, aud, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != api.StateComputed || got.PurgeAfter == nil || got.Uploads.Advertiser.BlindedRecords != uint64(len(advRows)) ||
		!got.Uploads.MediaPartner.ReblindedComplete || got.Uploads.MediaPartner.ReblindedRecords != uint64(want.advRows) {
		t.Fatalf("session: %+v", got)
	}
	tr, err := h.svc.Transcript(ctx, aud, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := transcript.Verify(tr, h.svc.TranscriptPublicKey()); err != nil {
		t.Fatalf("transcript does not verify: %v", err)
	}
	digests := tr.PartDigests()
	for _, r := range receipts {
		found := false
		for k, d := range digests {
			found = found || (k.Type == transcript.TypePartUploaded && k.Part == itoa(r.Part) && d == r.Digest)
		}
		if !found {
			t.Errorf("receipt digest of part %d missing from the transcript", r.Part)
		}
	}
	if last := tr.Events[len(tr.Events)-1]; last.Type != transcript.TypeComputed {
		t.Errorf("last event %+v", last)
	}
	// Each party's results, as it receives them, open its commitment.
	for _, r := range []api.Results{ra, rb} {
		committed, err := r.CommittedJSON()
		if err != nil {
			t.Fatal(err)
		}
		nonce, _ := hex.DecodeString(r.ResultNonce)
		if err := tr.CheckResult(string(r.Role), nonce, committed); err != nil {
			t.Errorf("%s results: %v", r.Role, err)
		}
	}
	counts, err := h.svc.StateCounts(ctx)
	if err != nil || counts[api.StateComputed] != 1 {
		t.Errorf("StateCounts = %v, %v", counts, err)
	}
	wantElems := uint64(len(advRows) + len(partnerRows) + int(want.advRows+want.partnerRows))
	if n := h.svc.ElementsProcessed(); n != wantElems {
		t.Errorf("ElementsProcessed = %d, want %d", n, wantElems)
	}
	checkLogsClean(t, h.logs.String(), a, b, receipts)
}

// checkResults compares both views with the ground truth.
func checkResults(t *testing.T, ra, rb api.Results, want truth, k int64, segments, activated []string) {
	t.Helper()
	if ra.Role != api.RoleAdvertiser || rb.Role != api.RoleMediaPartner || ra.DPEpsilon != nil {
		t.Fatalf("roles %s %s, dp %v", ra.Role, rb.Role, ra.DPEpsilon)
	}
	for _, r := range []api.Results{ra, rb} {
		if r.Overlap == nil || *r.Overlap != want.overlap {
			t.Errorf("%s overlap = %v, want %d", r.Role, deref(r.Overlap), want.overlap)
		}
	}
	if ra.MatchRate.Advertiser == nil || *ra.MatchRate.Advertiser != rate(want.overlap, want.advRows) || ra.MatchRate.MediaPartner != nil {
		t.Errorf("advertiser rates = %v / %v, want %s / none", deref(ra.MatchRate.Advertiser), deref(ra.MatchRate.MediaPartner), rate(want.overlap, want.advRows))
	}
	if rb.MatchRate.MediaPartner == nil || *rb.MatchRate.MediaPartner != rate(want.overlap, want.partnerRows) || rb.MatchRate.Advertiser != nil {
		t.Errorf("partner rates = %v / %v, want none / %s", deref(rb.MatchRate.Advertiser), deref(rb.MatchRate.MediaPartner), rate(want.overlap, want.partnerRows))
	}
	if len(ra.Segments) != len(segments) || len(rb.Segments) != 0 {
		t.Errorf("segment maps of %d and %d entries", len(ra.Segments), len(rb.Segments))
	}
	for j, name := range segments {
		got, ok := ra.Segments[name]
		switch {
		case !ok:
			t.Errorf("segment %s missing", name)
		case want.segments[j] < k && got != nil:
			t.Errorf("segment %s = %d released below k", name, *got)
		case want.segments[j] >= k && (got == nil || *got != want.segments[j]):
			t.Errorf("segment %s = %v, want %d", name, deref(got), want.segments[j])
		}
	}
	if ra.Activation != nil || rb.Activation == nil {
		t.Fatalf("activation: advertiser %v, partner %v", ra.Activation, rb.Activation)
	}
	if !slices.Equal(rb.Activation.Segments, activated) {
		t.Errorf("activation segments = %v, want %v", rb.Activation.Segments, activated)
	}
	var wantRecs []api.ActivationRecord
	for rec, mask := range want.activation {
		var segs []int
		for pos, name := range activated {
			if mask>>slices.Index(segments, name)&1 == 1 {
				segs = append(segs, pos)
			}
		}
		if len(segs) > 0 {
			wantRecs = append(wantRecs, api.ActivationRecord{Record: rec, Segments: segs})
		}
	}
	slices.SortFunc(wantRecs, func(a, b api.ActivationRecord) int { return int(a.Record) - int(b.Record) })
	if len(wantRecs) == 0 && len(activated) > 0 {
		t.Fatal("no activation expected; the test data is too weak")
	}
	if !reflect.DeepEqual(rb.Activation.Records, append([]api.ActivationRecord{}, wantRecs...)) {
		t.Errorf("activation records: got %d, want %d (first got %v)", len(rb.Activation.Records), len(wantRecs), first(rb.Activation.Records))
	}
}

// checkLogsClean fails if the logs carry any element, part digest or key.
func checkLogsClean(t *testing.T, logs string, a, b *partyData, receipts []api.PartReceipt) {
	t.Helper()
	if logs == "" {
		t.Fatal("no logs")
	}
	var secrets []string
	for _, pd := range []*partyData{a, b} {
		secrets = append(secrets, hex.EncodeToString(pd.key.Bytes()))
		for _, rec := range pd.blindedRecords(t)[:20] {
			secrets = append(secrets, hex.EncodeToString(rec[:wire.ElementSize]))
		}
	}
	for _, r := range receipts {
		secrets = append(secrets, r.Digest)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) || strings.Contains(logs, s[:16]) {
			t.Fatalf("logs contain secret material")
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func first[T any](s []T) any {
	if len(s) == 0 {
		return nil
	}
	return s[0]
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

func TestSuppressedBelowK(t *testing.T) {
	const strict = `{"min_rows": 10, "k": 200}`
	h := newHarness(t)
	sess := h.createJoined(strict, "s0", "s1")
	a, b := smallParties(t, strict, 2)
	if tr := groundTruth(t, a.rows, b.rows, 2, 3); tr.overlap == 0 || tr.overlap >= 200 {
		t.Fatalf("test data: overlap %d", tr.overlap)
	}
	ra, rb := h.runSession(sess.ID, a, b, 100)
	for _, r := range []api.Results{ra, rb} {
		if r.Overlap != nil || r.MatchRate.Advertiser != nil || r.MatchRate.MediaPartner != nil {
			t.Errorf("%s: overlap %v and rates released below k", r.Role, deref(r.Overlap))
		}
	}
	if ra.Segments["s0"] != nil || ra.Segments["s1"] != nil || len(ra.Segments) != 2 {
		t.Errorf("segments released below k: %v", ra.Segments)
	}
	if len(rb.Activation.Segments) != 0 || len(rb.Activation.Records) != 0 {
		t.Errorf("activation released below k: %+v", rb.Activation)
	}
}
