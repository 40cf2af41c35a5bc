package attacks

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// TestAttackActivationSinglesOutOnePerson: a media partner wants to know
// which of the advertiser's segments one person is in. It uploads a set in
// which that person's identifier is repeated, all rows fully consented, so
// that one person alone reaches the activation threshold k (and min_rows):
// 1,000 filler rows plus the target 50 times, with and without
// differential privacy, or the target 1,000 times and nothing else. The
// clean room refuses every such set (422 duplicate_element, nothing
// recorded) and, once the partner sends the target once among its filler,
// activates nobody: one person is below k. (issue 9, item 1)
func TestAttackActivationSinglesOutOnePerson(t *testing.T) {
	t.Parallel()
	target := rows("single-target", 0, 1)[0]
	cases := []struct {
		name   string
		policy string
		set    []row
	}{
		{"filler and 50 copies", `{}`, append(rows("single-filler", 0, 1000), slices.Repeat([]row{target}, 50)...)},
		{"filler and 50 copies, dp epsilon 1", `{"dp":{"epsilon":1}}`, append(rows("single-filler-dp", 0, 1000), slices.Repeat([]row{target}, 50)...)},
		{"1000 copies alone", `{}`, slices.Repeat([]row{target}, 1000)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
			segments := []string{"churn_risk", "new_customers", "loyal"}
			s := createSession(t, adv, partner, api.CreateSessionRequest{Segments: segments, Policy: json.RawMessage(tc.policy)})
			advRows := append(rows("single-crm", 0, 999), target)
			for i := range advRows {
				advRows[i].segments = 0b100 // loyal
			}
			advRows[len(advRows)-1].segments = 0b011 // the target: churn_risk and new_customers
			a := newSide(t, adv, s, advRows)
			a.upload(t)

			attack := newSide(t, partner, s, tc.set)
			r := attack.put(t, "blinded", attack.encode(t, attack.recs))
			if r.status == http.StatusOK {
				// What the attack would have got: run the session to the end.
				exchange(t, a, attack)
				act := results(t, partner, s.ID).Activation
				t.Fatalf("a set repeating one person was accepted; activation released %d records in segments %v",
					len(act.Records), act.Segments)
			}
			d := expectError(t, "a set repeating one person", r, http.StatusUnprocessableEntity, api.CodeDuplicate)
			if !strings.Contains(d.Message, "repeat an element") {
				t.Errorf("error message %q does not say what is wrong", d.Message)
			}
			if up := getSession(t, partner, s.ID).Uploads.MediaPartner; up.BlindedParts != 0 || up.BlindedRecords != 0 {
				t.Fatalf("the refused set left %d parts, %d records", up.BlindedParts, up.BlindedRecords)
			}

			// The same partner, the target once among distinct filler:
			// accepted, and the target alone is below k everywhere.
			honest := newSide(t, partner, s, append(rows("single-honest", 0, 999), target))
			honest.upload(t)
			exchange(t, a, honest)
			ra, rp := results(t, adv, s.ID), results(t, partner, s.ID)
			if rp.Overlap != nil || ra.Overlap != nil || len(rp.Activation.Records) != 0 || len(rp.Activation.Segments) != 0 {
				t.Fatalf("one matched person released: overlaps %s and %s, activation %d records in %v",
					count(ra.Overlap), count(rp.Overlap), len(rp.Activation.Records), rp.Activation.Segments)
			}
			for _, name := range segments {
				if ra.Segments[name] != nil {
					t.Fatalf("segment %s of one matched person released: %s", name, count(ra.Segments[name]))
				}
			}
		})
	}
}
