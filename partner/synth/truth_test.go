package synth

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

func seqOf[T any](rows []T) func(func(T) bool) {
	return func(yield func(T) bool) {
		for _, r := range rows {
			if !yield(r) {
				return
			}
		}
	}
}

func truthEqual(a, b *Truth) bool { return reflect.DeepEqual(a, b) }

var handSegments = []string{"high_value", "churn_risk", "new_customers"}

// handRows is a tiny pair of files whose outcome is worked out by hand in
// TestTruthByHand.
func handRows(t *testing.T) ([]AdvertiserRow, []PartnerRow) {
	tc := func(consents, lis []int, vendors ...int) string {
		t.Helper()
		f := baseTC()
		f.PurposesConsent, f.PurposesLI, f.VendorConsents, f.VendorLI = purposes(consents...), purposes(lis...), vendors, nil
		s, err := EncodeTC(f)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	const tcfV1 = "BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA" // version 1: malformed for a v2 decoder
	adv := []AdvertiserRow{
		{ID: " Jane.Doe@Gmail.com ", Segments: "high_value", Consent: "1;3;4;7"},                                      // 1 counts, activates
		{ID: "janedoe+shop@gmail.com", Segments: "churn_risk", Consent: "li:7"},                                       // 2 same identifier: a duplicate of row 1
		{ID: "jane.doe@acme-corp.com", Segments: "new_customers", Consent: "1;3;4;9"},                                 // 3 Jane's work address: another identifier
		{ID: "bob@@example.com", Segments: "high_value", Consent: "1;3;4;7"},                                          // 4 invalid identifier
		{ID: "alice@example.com", Segments: "high_value;new_customers", Consent: ""},                                  // 5 no consent
		{ID: "carol@example.com", Segments: "high_value", Consent: "1,3,4,7"},                                         // 6 invalid list
		{ID: "dave@example.com", Segments: "churn_risk; unknown ;high_value", Consent: tc([]int{1, 3, 4, 7}, nil, 5)}, // 7 TC string, unknown label ignored
		{ID: "erin@example.com", Segments: "", Consent: tc([]int{1}, []int{3, 4, 7})},                                 // 8 counts by LI 7; LI 3, 4 void
		{ID: "frank@example.com", Segments: "new_customers", Consent: "1;3;4"},                                        // 9 no purpose 7 or 9
		{ID: "gina@example.com", Segments: "high_value", Consent: tcfV1},                                              // 10 malformed TC string
	}
	partner := []PartnerRow{
		{ID: "janedoe@gmail.com", Consent: "1;3;4;7"},      // 1 matches row 1; activates in high_value
		{ID: "jane.doe@acme-corp.com", Consent: "1;3;4;9"}, // 2 matches row 3; activates in new_customers
		{ID: "janedoe@gmail.com", Consent: "1;3;4;9"},      // 3 duplicate of row 1: stays home
		{ID: "dave@example.com", Consent: "1;2;3;4;7"},     // 4 activates in high_value and churn_risk
		{ID: "erin@example.com", Consent: "1;3;4;7"},       // 5 matches; erin's advertiser row does not activate
		{ID: "frank@example.com", Consent: "1;3;4;7"},      // 6 frank's advertiser row does not count
		{ID: "alice@example.com", Consent: "1;3;4;7"},      // 7 neither does alice's
		{ID: "jane.doe@other.com", Consent: "1;3;4;7"},     // 8 another of Jane's addresses, unknown to the advertiser
		{ID: "", Consent: "1;3;4;7"},                       // 9 empty identifier
		{ID: "zoe@example.com", Consent: ""},               // 10 no consent
		{ID: "carol@example.com", Consent: tcfV1},          // 11 malformed TC string
		{ID: "dave@example.com", Consent: "li:7"},          // 12 duplicate of row 4, though with less consent
	}
	return adv, partner
}

func TestTruthByHand(t *testing.T) {
	adv, partner := handRows(t)
	got, err := ComputeTruth(policy.Default(), identifier.Email, handSegments, seqOf(adv), seqOf(partner))
	if err != nil {
		t.Fatal(err)
	}
	want := &Truth{
		Segments: handSegments,
		Advertiser: SideTruth{
			Rows: 10, InvalidIdentifier: map[string]int{"more than one '@'": 1}, Duplicate: 1,
			InvalidConsent: map[string]int{ReasonMalformedTC: 1, ReasonInvalidList: 1},
			NotConsented:   2, Counted: 4,
		},
		Partner: SideTruth{
			Rows: 12, InvalidIdentifier: map[string]int{"empty": 1}, Duplicate: 2,
			InvalidConsent: map[string]int{ReasonMalformedTC: 1},
			NotConsented:   1, Counted: 7,
		},
		Overlap:        4, // janedoe@gmail.com, jane.doe@acme-corp.com, dave, erin
		SegmentOverlap: map[string]int{"high_value": 2, "churn_risk": 1, "new_customers": 1},
		Activations: []Activation{
			{Row: 1, Segments: []string{"high_value"}},
			{Row: 2, Segments: []string{"new_customers"}},
			{Row: 4, Segments: []string{"high_value", "churn_risk"}},
		},
		ActivationCounts: map[string]int{"high_value": 2, "churn_risk": 1, "new_customers": 1},
	}
	if !truthEqual(got, want) {
		t.Errorf("truth\n got %+v\nwant %+v", *got, *want)
	}

	wantReleased := []Activation{
		{Row: 1, Segments: []string{"high_value"}},
		{Row: 4, Segments: []string{"high_value"}},
	}
	if r := got.Released(2); !reflect.DeepEqual(r, wantReleased) {
		t.Errorf("Released(2) = %v, want %v", r, wantReleased)
	}
	if r := got.Released(3); len(r) != 0 {
		t.Errorf("Released(3) = %v, want none", r)
	}
	if !reflect.DeepEqual(got.Released(1), got.Activations) {
		t.Error("Released(1) differs from Activations")
	}
}

func TestTruthPolicyVariants(t *testing.T) {
	adv, partner := handRows(t)
	run := func(p policy.Policy) *Truth {
		t.Helper()
		got, err := ComputeTruth(p, identifier.Email, handSegments, seqOf(adv), seqOf(partner))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	// Only churn_risk is released for activation.
	p := policy.Default()
	p.ActivationSegments = []string{"churn_risk"}
	got := run(p)
	if want := []Activation{{Row: 4, Segments: []string{"churn_risk"}}}; !reflect.DeepEqual(got.Activations, want) {
		t.Errorf("activation segments: Activations = %v, want %v", got.Activations, want)
	}
	if want := map[string]int{"high_value": 0, "churn_risk": 1, "new_customers": 0}; !reflect.DeepEqual(got.ActivationCounts, want) {
		t.Errorf("activation segments: ActivationCounts = %v, want %v", got.ActivationCounts, want)
	}

	// A vendor requirement: only a TC string can show vendor consent, and
	// only dave's names vendor 5.
	p = policy.Default()
	p.VendorIDs = []int{5}
	got = run(p)
	if got.Advertiser.Counted != 1 || got.Partner.Counted != 0 || got.Overlap != 0 {
		t.Errorf("vendor 5: counted %d and %d, overlap %d; want 1, 0, 0", got.Advertiser.Counted, got.Partner.Counted, got.Overlap)
	}

	// A stricter count rule: both 7 and 9.
	p = policy.Default()
	p.CountPurposes = policy.Rule{AllOf: []int{7, 9}}
	got = run(p)
	if got.Advertiser.Counted != 0 {
		t.Errorf("all of 7, 9: advertiser counted %d, want 0", got.Advertiser.Counted)
	}
}

func TestTruthRejects(t *testing.T) {
	adv, partner := handRows(t)
	bad := policy.Default()
	bad.K = 0
	if _, err := ComputeTruth(bad, identifier.Email, handSegments, seqOf(adv), seqOf(partner)); !errors.Is(err, policy.ErrInvalid) {
		t.Errorf("invalid policy: %v", err)
	}
	unknown := policy.Default()
	unknown.ActivationSegments = []string{"vip"}
	if _, err := ComputeTruth(unknown, identifier.Email, handSegments, seqOf(adv), seqOf(partner)); !errors.Is(err, policy.ErrInvalid) {
		t.Errorf("unknown activation segment: %v", err)
	}
	if _, err := ComputeTruth(policy.Default(), "imei", handSegments, seqOf(adv), seqOf(partner)); !errors.Is(err, identifier.ErrUnknownType) {
		t.Errorf("unknown identifier type: %v", err)
	}
}

// TestTruthMatchesIntent compares the truth, derived from the cells by
// normalization and consent decoding, with the truth the generator's
// intents imply (identity numbers, choices, segments), for every match
// key. A normalization variant that fails to match, two people that
// collide, a consent cell that decodes to other choices: each breaks it.
func TestTruthMatchesIntent(t *testing.T) {
	for _, key := range []identifier.Type{identifier.Email, identifier.Phone, identifier.MAID} {
		t.Run(string(key), func(t *testing.T) {
			d := newDataset(t, smallConfig(key))
			truth, err := d.Truth(policy.Default())
			if err != nil {
				t.Fatal(err)
			}
			checkIntent(t, d, truth)
		})
	}
}

func TestTruthMatchesIntentDefault(t *testing.T) {
	d := newDataset(t, DefaultConfig())
	truth, err := d.Truth(policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	checkIntent(t, d, truth)
	if truth.Advertiser.Duplicate == 0 || truth.Partner.Duplicate == 0 {
		t.Errorf("duplicates %d and %d: the demo's files must repeat identifiers", truth.Advertiser.Duplicate, truth.Partner.Duplicate)
	}
	// The demo's numbers must survive k = 50.
	if truth.Overlap < 2000 || len(truth.Released(50)) < 1000 {
		t.Errorf("overlap %d, %d rows released at k=50", truth.Overlap, len(truth.Released(50)))
	}
	for s, n := range truth.ActivationCounts {
		if n < 50 {
			t.Errorf("segment %s has %d activations, below k", s, n)
		}
	}
}

// Under the default policy, by the TCF 2.2 semantics written out again.
func intentCounts(p *profile) bool {
	return p != nil && (p.consents.Has(7) || p.consents.Has(9) || p.lis.Has(7) || p.lis.Has(9))
}

func intentActivates(p *profile) bool {
	return intentCounts(p) && p.consents.Has(1) && p.consents.Has(3) && p.consents.Has(4)
}

func checkIntent(t *testing.T, d *Dataset, truth *Truth) {
	t.Helper()
	type entry struct{ member, activation uint64 }
	adv := map[int]entry{}
	advSeen := map[int]bool{}
	invalid, duplicate, badConsent, counted := 0, 0, 0, 0
	for r := range d.Advertiser() {
		in := r.intent
		switch {
		case in.identity < 0:
			invalid++
		case advSeen[in.identity]: // the first row of the identity keeps it
			duplicate++
		case in.form == formBadTC || in.form == formBadList:
			badConsent++
		case intentCounts(in.profile):
			counted++
			e := entry{member: in.segments}
			if intentActivates(in.profile) {
				e.activation = in.segments
			}
			adv[in.identity] = e
		}
		if in.identity >= 0 {
			advSeen[in.identity] = true
		}
	}
	if truth.Advertiser.Duplicate != duplicate {
		t.Errorf("advertiser duplicates %d, intended %d", truth.Advertiser.Duplicate, duplicate)
	}
	if got := sum(truth.Advertiser.InvalidIdentifier); got != invalid {
		t.Errorf("advertiser invalid identifiers %d, intended %d", got, invalid)
	}
	if got := sum(truth.Advertiser.InvalidConsent); got != badConsent {
		t.Errorf("advertiser invalid consent %d, intended %d", got, badConsent)
	}
	if truth.Advertiser.Counted != counted || counted != len(adv) {
		t.Errorf("advertiser counted %d, intended %d (%d people)", truth.Advertiser.Counted, counted, len(adv))
	}

	seen := map[int]bool{}
	overlap, row, pubCounted, pubDuplicate := 0, 0, 0, 0
	segOverlap := make([]int, len(truth.Segments))
	var acts []Activation
	for r := range d.Partner() {
		row++
		in := r.intent
		if in.identity < 0 {
			continue
		}
		if seen[in.identity] {
			pubDuplicate++
			continue
		}
		seen[in.identity] = true
		if !intentCounts(in.profile) {
			continue
		}
		pubCounted++
		e, matched := adv[in.identity]
		if matched {
			overlap++
			for j := range segOverlap {
				segOverlap[j] += int(e.member >> j & 1)
			}
		}
		if matched && e.activation != 0 && intentActivates(in.profile) {
			var names []string
			for j, s := range truth.Segments {
				if e.activation>>j&1 == 1 {
					names = append(names, s)
				}
			}
			acts = append(acts, Activation{Row: row, Segments: names})
		}
	}
	if truth.Partner.Counted != pubCounted || truth.Partner.Duplicate != pubDuplicate {
		t.Errorf("partner counted %d and %d duplicates, intended %d and %d", truth.Partner.Counted, truth.Partner.Duplicate, pubCounted, pubDuplicate)
	}
	if truth.Overlap != overlap {
		t.Errorf("overlap %d, intended %d", truth.Overlap, overlap)
	}
	for j, s := range truth.Segments {
		if truth.SegmentOverlap[s] != segOverlap[j] {
			t.Errorf("segment %s overlap %d, intended %d", s, truth.SegmentOverlap[s], segOverlap[j])
		}
	}
	if !slices.EqualFunc(truth.Activations, acts, func(a, b Activation) bool {
		return a.Row == b.Row && slices.Equal(a.Segments, b.Segments)
	}) {
		t.Errorf("activations differ from intent: %d rows, intended %d", len(truth.Activations), len(acts))
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestPersonasNotMerged finds, in the default dataset, people with both
// identifiers on one side and people known by different identifiers on
// the two sides, and checks that the truth keeps them apart: different
// digests, counted separately, never matched across.
func TestPersonasNotMerged(t *testing.T) {
	d := newDataset(t, DefaultConfig())
	digest := func(id string) identifier.Digest {
		dg, _, err := identifier.Normalizer{}.Digest(identifier.Email, id)
		if err != nil {
			t.Fatal(err)
		}
		return dg
	}
	advCells := map[int]string{}
	for r := range d.Advertiser() {
		if r.intent.identity >= 0 {
			advCells[r.intent.identity] = r.ID
		}
	}
	pubIdentities := map[int]bool{}
	both, crossed := 0, 0
	for r := range d.Partner() {
		id := r.intent.identity
		if id < 0 || pubIdentities[id] {
			continue
		}
		pubIdentities[id] = true
		other, ok := advCells[id^1] // the same person's other identifier
		if !ok {
			continue
		}
		if _, same := advCells[id]; !same {
			crossed++
			if digest(other) == digest(r.ID) {
				t.Fatalf("a person's two identifiers share a digest")
			}
		}
	}
	for id, cell := range advCells {
		if other, ok := advCells[id^1]; ok && id%2 == 0 {
			both++
			if digest(cell) == digest(other) {
				t.Fatalf("a person's two identifiers share a digest")
			}
		}
	}
	if both < 50 || crossed < 50 {
		t.Errorf("%d advertiser people with both identifiers, %d known by different ones on each side; want both kinds", both, crossed)
	}
	// That none of these are matched is TestTruthMatchesIntentDefault's
	// check: intents match by identity, never by person.
}
