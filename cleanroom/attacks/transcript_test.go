package attacks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// TestAttackResultDigestEnumeration: the media partner tries to recover the
// advertiser's segment counts from the transcript (issue 9, item 2). Of the
// advertiser's results it knows every field but the segment counts: the
// session id, the computed_at and overlap of its own results, the
// advertiser's counting rows (it re-blinded that many) and so the
// advertiser's rate, and the segment names. It enumerates every count the
// policy could release (null, or k to the overlap) and compares each
// candidate's SHA-256, and the commitment it would give with the
// partner's own nonce in case the server reused it, with every value of
// the computed event. Against unsalted digests the search finds the counts
// in a fraction of a second; against commitments with a nonce that only
// the advertiser receives it must find nothing. Each party can still open
// its own commitment, and only its own.
func TestAttackResultDigestEnumeration(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{Segments: []string{"churn_risk", "new_customers"}})
	advRows := rows("digest", 0, 1000) // the overlap is 800..999
	for i := 800; i < 870; i++ {
		advRows[i].segments |= 1 // churn_risk: 70
	}
	for i := 850; i < 940; i++ {
		advRows[i].segments |= 2 // new_customers: 90
	}
	ra, rp := runSession(t, newSide(t, adv, s, advRows), newSide(t, partner, s, rows("digest", 800, 1000)))
	if count(ra.Overlap) != "200" || count(ra.Segments["churn_risk"]) != "70" || count(ra.Segments["new_customers"]) != "90" {
		t.Fatalf("advertiser results: overlap %s, churn_risk %s, new_customers %s; want 200, 70, 90",
			count(ra.Overlap), count(ra.Segments["churn_risk"]), count(ra.Segments["new_customers"]))
	}

	// What the partner knows.
	r := partner.do(t, http.MethodGet, "/v1/sessions/"+s.ID+"/transcript", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("transcript: status %d", r.status)
	}
	tr, err := transcript.ParseTranscript(r.body)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse(s.Policy)
	if err != nil {
		t.Fatal(err)
	}
	advCounting := int64(getSession(t, partner, s.ID).Uploads.MediaPartner.ReblindedRecords)
	rate := pol.FormatRate(*rp.Overlap, advCounting)
	candidate := func(churn, fresh *int64) api.Results {
		return api.Results{SessionID: s.ID, Role: api.RoleAdvertiser, Overlap: rp.Overlap, OverlapByKey: rp.OverlapByKey,
			MatchRate: api.MatchRates{Advertiser: &rate}, ComputedAt: rp.ComputedAt,
			Segments: map[string]*int64{"churn_risk": churn, "new_customers": fresh}}
	}
	// The search is sound: the advertiser's real results, without their
	// nonce, are one of its candidates.
	truth, err := ra.CommittedJSON()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := json.Marshal(candidate(ra.Segments["churn_risk"], ra.Segments["new_customers"])); string(got) != string(truth) {
		t.Fatalf("the partner's model of the advertiser's results is wrong:\n%s\n%s", got, truth)
	}

	recorded := map[string]bool{}
	for _, e := range tr.Events {
		if e.Type == transcript.TypeComputed {
			for _, v := range e.Data {
				recorded[v] = true
			}
		}
	}
	if len(recorded) == 0 {
		t.Fatal("the transcript has no computed event")
	}
	partnerNonce, _ := hex.DecodeString(rp.ResultNonce)
	values := []*int64{nil}
	for v := pol.K; v <= *rp.Overlap; v++ {
		values = append(values, &v)
	}
	tried := 0
	for _, churn := range values {
		for _, fresh := range values {
			b, err := json.Marshal(candidate(churn, fresh))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			reused, _ := transcript.CommitResult(s.ID, string(api.RoleAdvertiser), partnerNonce, b)
			tried++
			if recorded[hex.EncodeToString(sum[:])] || recorded[reused] {
				t.Fatalf("the partner recovered the advertiser's segment counts from the transcript after %d candidates: churn_risk %s, new_customers %s",
					tried, count(churn), count(fresh))
			}
		}
	}

	// Each party opens its own commitment, and neither opens the other's.
	if ra.ResultNonce == "" || rp.ResultNonce == "" || ra.ResultNonce == rp.ResultNonce {
		t.Fatalf("result nonces: advertiser %q, partner %q; want two different ones", ra.ResultNonce, rp.ResultNonce)
	}
	// A nonce in a log would open the commitment to whoever reads it.
	secrets.add("result nonce", ra.ResultNonce)
	secrets.add("result nonce", rp.ResultNonce)
	for _, c := range []struct {
		owner, side api.Role
		opens       bool
	}{
		{api.RoleAdvertiser, api.RoleAdvertiser, true},
		{api.RoleMediaPartner, api.RoleMediaPartner, true},
		{api.RoleMediaPartner, api.RoleAdvertiser, false},
		{api.RoleAdvertiser, api.RoleMediaPartner, false},
	} {
		res := map[api.Role]api.Results{api.RoleAdvertiser: ra, api.RoleMediaPartner: rp}[c.owner]
		committed, err := res.CommittedJSON()
		if err != nil {
			t.Fatal(err)
		}
		nonce, _ := hex.DecodeString(res.ResultNonce)
		if err := tr.CheckResult(string(c.side), nonce, committed); (err == nil) != c.opens {
			t.Errorf("the %s's results against the %s commitment: %v", c.owner, c.side, err)
		}
	}
}
