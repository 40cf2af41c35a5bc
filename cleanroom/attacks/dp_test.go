package attacks

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// TestAttackDifferencingUntilBudgetExhausted: an advertiser repeats the
// same session with one row more each time, hoping to read a person's
// membership off the difference. On a clean room whose floor requires
// differential privacy every release is noisy, and the pair's budget
// (--dp-budget 1, epsilon per 30 days) stops the series after four
// sessions at epsilon 0.25, at creation, before anything is uploaded. Deleting a computed session gives nothing back; deleting one
// that released nothing does.
func TestAttackDifferencingUntilBudgetExhausted(t *testing.T) {
	t.Parallel()
	srv := newServer(t, serverOptions{floor: `{"dp":{"epsilon":0.25}}`, dpBudget: 1})
	adv, partner := srv.register(t, api.RoleAdvertiser), srv.register(t, api.RoleMediaPartner)
	create := func(pol string) reply {
		return adv.call(t, http.MethodPost, "/v1/sessions", api.CreateSessionRequest{
			Partner: partner.name, MatchKey: api.MatchKeyEmail, Policy: json.RawMessage(pol)})
	}
	for _, pol := range []string{`{}`, `{"dp":null}`, `{"dp":{"epsilon":0.5}}`} {
		expectError(t, "policy "+pol, create(pol), http.StatusUnprocessableEntity, api.CodePolicyViolation)
	}
	const dpPolicy = `{"dp":{"epsilon":0.25}}`

	// A reservation that released nothing is given back when the session
	// ends.
	var abandoned api.Session
	if r := create(dpPolicy); r.status != http.StatusCreated || json.Unmarshal(r.body, &abandoned) != nil {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	adv.expect(t, http.MethodDelete, "/v1/sessions/"+abandoned.ID, nil, http.StatusOK, nil)

	partnerRows := rows("diff", 500, 1000) // the partner's audience never changes
	var computed []string
	for extra := 0; ; extra++ {
		r := create(dpPolicy)
		if r.status != http.StatusCreated {
			expectError(t, "session after the budget", r, http.StatusUnprocessableEntity, api.CodeBudgetExhausted)
			break
		}
		if extra == 10 {
			t.Fatal("the budget never stopped the series")
		}
		var s api.Session
		if err := json.Unmarshal(r.body, &s); err != nil {
			t.Fatal(err)
		}
		partner.expect(t, http.MethodPost, "/v1/sessions/"+s.ID+"/join", api.JoinRequest{PolicyHash: s.PolicyHash}, http.StatusOK, &s)
		advRows := append(rows("diff", 0, 1000), rows("diff-extra", 0, extra)...) // one row more each time
		ra, rp := runSession(t, newSide(t, adv, s, advRows), newSide(t, partner, s, partnerRows))
		for _, res := range []struct {
			role api.Role
			r    api.Results
			rows int64
		}{{"advertiser", ra, int64(len(advRows))}, {"partner", rp, int64(len(partnerRows))}} {
			if res.r.DPEpsilon == nil || *res.r.DPEpsilon != 0.25 {
				t.Fatalf("%s: results without dp_epsilon 0.25", res.role)
			}
			if o := res.r.Overlap; o != nil && (*o < 0 || *o > res.rows) {
				t.Fatalf("%s: released overlap %d outside [0, %d]", res.role, *o, res.rows)
			}
		}
		t.Logf("session %d: true overlap 500, released %s", extra+1, count(ra.Overlap))
		computed = append(computed, s.ID)
	}
	if len(computed) != 4 {
		t.Fatalf("%d sessions at epsilon 0.25 fitted a budget of 1", len(computed))
	}

	adv.expect(t, http.MethodDelete, "/v1/sessions/"+computed[0], nil, http.StatusOK, nil)
	expectError(t, "session after deleting a computed one", create(dpPolicy), http.StatusUnprocessableEntity, api.CodeBudgetExhausted)

	// The budget is per advertiser-partner pair.
	other := srv.register(t, api.RoleMediaPartner)
	adv.expect(t, http.MethodPost, "/v1/sessions", api.CreateSessionRequest{
		Partner: other.name, MatchKey: api.MatchKeyEmail, Policy: json.RawMessage(dpPolicy)}, http.StatusCreated, nil)
}
