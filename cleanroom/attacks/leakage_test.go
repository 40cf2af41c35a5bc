package attacks

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// TestAttackMembershipTinyUpload: an advertiser tries to learn whether one
// person is in the partner's audience by matching a set that holds (almost)
// only that person. The floor refuses a smaller minimum or threshold, the
// server refuses a set below min_rows however it is padded with rows that
// do not count, and a set padded with copies of the target is refused
// (min_rows counts people; TestAttackActivationSinglesOutOnePerson has the
// partner's side of this).
func TestAttackMembershipTinyUpload(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	for _, pol := range []string{`{"min_rows":1}`, `{"k":1}`, `{"min_rows":999,"k":50}`, `{"min_rows":1000,"k":49}`} {
		r := adv.call(t, http.MethodPost, "/v1/sessions", api.CreateSessionRequest{
			Partner: partner.name, MatchKey: api.MatchKeyEmail, Policy: json.RawMessage(pol)})
		expectError(t, "policy "+pol, r, http.StatusUnprocessableEntity, api.CodePolicyViolation)
	}

	s := createSession(t, adv, partner, api.CreateSessionRequest{})
	target := rows("tiny", 0, 1)
	one := newSide(t, adv, s, target)
	expectError(t, "a one-row set", one.put(t, "blinded", one.parts(t, 10)[0]), http.StatusUnprocessableEntity, api.CodeTooFewRows)

	padding := rows("tiny-pad", 0, 999)
	for i := range padding {
		padding[i].noCount = true // no consent for purposes 7 or 9
	}
	padded := newSide(t, adv, s, append(slices.Clone(target), padding...))
	expectError(t, "one counting row padded with 999 that do not count", padded.put(t, "blinded", padded.parts(t, 1000)[0]),
		http.StatusUnprocessableEntity, api.CodeTooFewRows)
	if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedParts != 0 || up.BlindedRecords != 0 {
		t.Fatalf("refused sets left %d parts, %d records", up.BlindedParts, up.BlindedRecords)
	}

	// 1000 copies of the target: one person, whatever the number of rows.
	copies := newSide(t, adv, s, slices.Repeat(target, 1000))
	expectError(t, "1000 copies of one row", copies.put(t, "blinded", copies.parts(t, 1000)[0]),
		http.StatusUnprocessableEntity, api.CodeDuplicate)
	if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedParts != 0 || up.BlindedRecords != 0 {
		t.Fatalf("refused sets left %d parts, %d records", up.BlindedParts, up.BlindedRecords)
	}
}

// TestAttackOverlapJustBelowK: a set built so that the overlap lands at
// k-1 gets nothing, neither the count nor a match rate nor a segment count
// nor activation; at k exactly the count is released. (Without noise, k-1
// known members plus one target still tell whether the target is a member:
// SECURITY.md, "Known limits"; differential privacy is the defence.)
func TestAttackOverlapJustBelowK(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	const k = 50 // the default floor's
	for _, ov := range []int{k - 1, k} {
		s := createSession(t, adv, partner, api.CreateSessionRequest{Segments: []string{"all"}})
		advRows := rows("k", 0, 1000)
		for i := range advRows {
			advRows[i].segments = 1
		}
		ra, rp := runSession(t, newSide(t, adv, s, advRows), newSide(t, partner, s, rows("k", 1000-ov, 1000)))
		if ra.MatchRate.MediaPartner != nil || rp.MatchRate.Advertiser != nil {
			t.Fatal("a party sees the other party's match rate")
		}
		if ov < k {
			if ra.Overlap != nil || ra.MatchRate.Advertiser != nil || ra.Segments["all"] != nil ||
				rp.Overlap != nil || rp.MatchRate.MediaPartner != nil || len(rp.Activation.Records) != 0 || len(rp.Activation.Segments) != 0 {
				t.Fatalf("overlap %d < k released something: %+v / %+v", ov, ra, rp)
			}
			continue
		}
		if count(ra.Overlap) != "50" || count(rp.Overlap) != "50" || count(ra.Segments["all"]) != "50" ||
			*ra.MatchRate.Advertiser != "5%" || *rp.MatchRate.MediaPartner != "5%" || len(rp.Activation.Records) != k {
			t.Fatalf("overlap k: advertiser %s %v %s, partner %s %v, %d activated",
				count(ra.Overlap), *ra.MatchRate.Advertiser, count(ra.Segments["all"]),
				count(rp.Overlap), *rp.MatchRate.MediaPartner, len(rp.Activation.Records))
		}
	}
}

// TestAttackSegmentBelowKActivation: the advertiser asks for activation of
// a segment with fewer than k matched members. The segment's count is
// suppressed and none of its rows is released for activation, while a
// segment of k or more is; partner rows without activation consent are
// never released, and advertiser rows without consent to be counted are
// neither relayed, nor counted, nor activated, even in a segment.
func TestAttackSegmentBelowKActivation(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{
		Segments: []string{"big", "tiny"},
		Policy:   json.RawMessage(`{"activation_segments":["big","tiny"]}`),
	})
	advRows := rows("seg", 0, 1000) // the overlap is 900..999
	for i := 900; i < 960; i++ {
		advRows[i].segments = 1 // big: 60
	}
	for i := 960; i < 970; i++ {
		advRows[i].segments = 2 // tiny: 10
	}
	unconsented := rows("seg", 1000, 30) // held by both, in big, but not to be counted
	for i := range unconsented {
		unconsented[i].noCount, unconsented[i].segments = true, 1
	}
	advRows = append(advRows, unconsented...)
	partnerRows := rows("seg", 900, 1000) // includes the 30 unconsented
	for i := range 5 {
		partnerRows[i].countOnly = true // 5 of big's matches refused activation
	}
	a, p := newSide(t, adv, s, advRows), newSide(t, partner, s, partnerRows)
	a.upload(t)
	p.upload(t)
	if rel := p.download(t); len(rel) != 1 || len(rel[0].elems) != 1000 {
		t.Fatalf("the partner received %d elements, want the advertiser's 1000 counting rows", len(rel[0].elems))
	}
	exchange(t, a, p)
	ra, rp := results(t, adv, s.ID), results(t, partner, s.ID)
	if count(ra.Overlap) != "100" || count(ra.Segments["big"]) != "60" || ra.Segments["tiny"] != nil {
		t.Fatalf("advertiser: overlap %s, big %s, tiny %s; want 100, 60, null",
			count(ra.Overlap), count(ra.Segments["big"]), count(ra.Segments["tiny"]))
	}
	act := rp.Activation
	if !slices.Equal(act.Segments, []string{"big"}) || len(act.Records) != 55 {
		t.Fatalf("activation segments %v with %d records, want [big] with 55", act.Segments, len(act.Records))
	}
	for _, rec := range act.Records {
		r := p.rows[rec.Record]
		if !slices.Equal(rec.Segments, []int{0}) || r.countOnly || r.email < "seg-0000900" || r.email >= "seg-0000960" {
			t.Fatalf("activated record %d (%+v) in segments %v", rec.Record, r, rec.Segments)
		}
	}
}

// TestAttackPartnerSegmentsOutsidePolicy: segments the policy does not
// release for activation stay out of the partner's hands, whatever the
// partner sends: a partner declaring segment attributes of its own is
// refused, a join under another policy than the session's is refused, and
// activation names only the policy's activation_segments.
func TestAttackPartnerSegmentsOutsidePolicy(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	segments := []string{"a", "b", "c"}
	r := adv.call(t, http.MethodPost, "/v1/sessions", api.CreateSessionRequest{Partner: partner.name, MatchKey: api.MatchKeyEmail,
		Segments: segments, Policy: json.RawMessage(`{"activation_segments":["zzz"]}`)})
	expectError(t, "activation of a segment the session lacks", r, http.StatusBadRequest, api.CodeBadRequest)

	var s api.Session
	adv.expect(t, http.MethodPost, "/v1/sessions", api.CreateSessionRequest{Partner: partner.name, MatchKey: api.MatchKeyEmail,
		Segments: segments, Policy: json.RawMessage(`{"activation_segments":["a"]}`)}, http.StatusCreated, &s)
	var loose api.Session // the same session under the default policy, for its hash
	adv.expect(t, http.MethodPost, "/v1/sessions", api.CreateSessionRequest{Partner: partner.name, MatchKey: api.MatchKeyEmail,
		Segments: segments}, http.StatusCreated, &loose)
	r = partner.call(t, http.MethodPost, "/v1/sessions/"+s.ID+"/join", api.JoinRequest{PolicyHash: loose.PolicyHash})
	expectError(t, "join under a looser policy", r, http.StatusConflict, api.CodeConflict)
	partner.expect(t, http.MethodPost, "/v1/sessions/"+s.ID+"/join", api.JoinRequest{PolicyHash: s.PolicyHash}, http.StatusOK, &s)

	advRows := rows("outside", 0, 1000)
	for i := 900; i < 970; i++ {
		advRows[i].segments = 0b111
	}
	partnerRows := rows("outside", 900, 1000)
	own := sideAttrs(t, s, api.RoleMediaPartner)
	for _, attrs := range [][]wire.Attr{
		append(slices.Clone(own), wire.Attr{Kind: wire.AttrSegment, Value: 1}),
		sideAttrs(t, s, api.RoleAdvertiser),
	} {
		forged := newSideWith(t, partner, s, partnerRows, attrs)
		expectError(t, "partner part declaring segments", forged.put(t, "blinded", forged.parts(t, 1000)[0]),
			http.StatusBadRequest, api.CodeInvalidPart)
	}

	ra, rp := runSession(t, newSide(t, adv, s, advRows), newSide(t, partner, s, partnerRows))
	for _, name := range segments {
		if count(ra.Segments[name]) != "70" {
			t.Fatalf("advertiser segment %s: %s, want 70", name, count(ra.Segments[name]))
		}
	}
	if !slices.Equal(rp.Activation.Segments, []string{"a"}) || len(rp.Activation.Records) != 70 {
		t.Fatalf("activation %v with %d records, want [a] with 70", rp.Activation.Segments, len(rp.Activation.Records))
	}
	for _, rec := range rp.Activation.Records {
		if !slices.Equal(rec.Segments, []int{0}) {
			t.Fatalf("record %d released in %v", rec.Record, rec.Segments)
		}
	}
}

// TestAttackSegmentDifferencingWithoutDP pins down a known limit: without
// differential privacy an advertiser learns whether one person is in the
// partner's audience from two segment counts of one session, S plus the
// target and S alone, each above k. k cannot stop this; only a floor that
// requires "dp" does (SECURITY.md, "Known limits"). If this test starts
// failing, a defence was added: update SECURITY.md.
func TestAttackSegmentDifferencingWithoutDP(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{Segments: []string{"with", "without"}})
	advRows := rows("diffseg", 0, 1000) // overlap 900..999
	for i := 900; i < 960; i++ {
		advRows[i].segments = 0b11
	}
	advRows[999].segments = 0b01 // the target, in "with" only
	ra, _ := runSession(t, newSide(t, adv, s, advRows), newSide(t, partner, s, rows("diffseg", 900, 1000)))
	with, without := ra.Segments["with"], ra.Segments["without"]
	if with == nil || without == nil || *with-*without != 1 {
		t.Fatalf("segment counts %s and %s: the documented leak is gone, update SECURITY.md", count(with), count(without))
	}
}
