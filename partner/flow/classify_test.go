package flow

import (
	"encoding/csv"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// infoSessionID is the session of testInfo.
const infoSessionID = "00112233445566778899aabbccddeeff"

func testInfo(t testing.TB, policyJSON string, role api.Role, segments []string) *sessionInfo {
	t.Helper()
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		t.Fatal(err)
	}
	info, err := deriveInfo(api.Session{
		ID: infoSessionID, MatchKey: api.MatchKeyEmail, Policy: pol.Canonical(), PolicyHash: pol.Hash(), Segments: segments,
	}, role, false)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// classifyRow classifies a one-key row as the read does, leaving out
// duplicates (found once the file is read: TestClassifyDuplicates).
func classifyRow(c *classifier, row csvin.Row) ([32]byte, uint64, *reject) {
	d, rej := c.classify(row)
	if rej != nil {
		return d, 0, rej
	}
	bits, rej := c.consentAndSegments(row)
	return d, bits, rej
}

func TestClassify(t *testing.T) {
	info := testInfo(t, `{"vendor_ids": [755], "count_purposes": {"all_of": [7, 9]}}`, api.RoleAdvertiser, []string{"a", "b"})
	c := newClassifier(info, Options{})
	var number uint32
	for _, tc := range []struct {
		id, consent string // id "": a new valid email each time
		reason      string
	}{
		{"", "1;3;4;7;9", reasonVendors}, // a list names no vendor
		{"", "7", "no lawful basis for counting (purposes 7+9)"},
		{"", "", "no lawful basis for counting (purposes 7+9)"},
		{"", "li:1", reasonBadConsent + ": invalid purpose list: item 1: TCF 2.2 allows no legitimate interest for purposes 1, 3, 4, 5 and 6"},
		{"@example.com", "7;9", "invalid email: empty local part"},
	} {
		for range 2 { // the second time from the consent cache
			number++
			row := csvin.Row{ID: tc.id, Consent: tc.consent}
			if row.ID == "" {
				row.ID = fmt.Sprintf("x%d@example.com", number)
			}
			_, _, rej := classifyRow(c, row)
			if rej == nil || rej.String() != tc.reason {
				t.Errorf("%+v: reject %v, want %q", row, rej, tc.reason)
			}
		}
	}

	info = testInfo(t, `{}`, api.RoleAdvertiser, []string{"a", "b"})
	c = newClassifier(info, Options{})
	_, bits, rej := classifyRow(c, csvin.Row{ID: " X@Example.com ", Consent: "1;3;4;li:7", Segments: []string{"b", "zz", "b"}})
	if rej != nil {
		t.Fatal(rej)
	}
	// consent 1, 3, 4 (bits 0-2), LI 7 (bit 5), segment b (bit 8).
	if want := uint64(0b1_0010_0111); bits != want {
		t.Errorf("bits = %b, want %b", bits, want)
	}
	// "zz" holds one of the slots: 99 of these names fit, 11 do not.
	for i := range maxUnknownSegments + 10 {
		classifyRow(c, csvin.Row{ID: fmt.Sprintf("y%d@example.com", i), Consent: "7", Segments: []string{fmt.Sprint("n", i)}})
	}
	if len(c.unknown) != maxUnknownSegments+1 || c.unknown[otherUnknownSegments] != 11 || c.unknown["zz"] != 1 {
		t.Errorf("unknown segments: %d names, other %d, zz %d", len(c.unknown), c.unknown[otherUnknownSegments], c.unknown["zz"])
	}
}

// TestClassifyDuplicates: an identifier stays on the first row that holds
// it, once normalized, whatever that row's consent; later rows are
// rejected as duplicates naming the first row, and never quote the cell.
func TestClassifyDuplicates(t *testing.T) {
	cases := []struct {
		id      string
		consent string
		reason  string // "" if kept
	}{
		{"Jane.Doe+ads@GMail.com", "", noBasis},                                    // first: no consent
		{"janedoe@gmail.com", "1;3;4;7", "duplicate email: same email as row 1"},   // more consent, still a duplicate
		{"jane@@example.com", "1;3;4;7", "invalid email: more than one '@'"},       // invalid: not an identifier
		{"bob@example.com", "1;3;4;7", ""},                                         // first
		{"  BOB@example.com\t", "1;3;4;7", "duplicate email: same email as row 4"}, // typed differently
		{"bob@example.com", "", "duplicate email: same email as row 4"},            // duplicate before consent
		{"j.a.n.e.d.o.e@gmail.com", "7", "duplicate email: same email as row 1"},   // gmail dots
		{"carol@example.com", "7", ""},
	}
	var in strings.Builder
	w := csv.NewWriter(&in)
	w.Write([]string{"email", "consent"})
	for _, tc := range cases {
		w.Write([]string{tc.id, tc.consent})
	}
	w.Flush()
	rejects, a := readRows(t, testInfo(t, `{}`, api.RoleMediaPartner, nil), in.String())
	defer a.close()
	for i, tc := range cases {
		got := rejects[uint32(i+1)]
		if got != tc.reason {
			t.Errorf("row %d: reject %q, want %q", i+1, got, tc.reason)
		}
		if KindOf(strings.SplitN(got, ":", 2)[0]) == RejectDuplicate && strings.Contains(got, "@") {
			t.Errorf("row %d: the reason quotes the identifier: %q", i+1, got)
		}
	}
	if a.len() != 2 || a.rows[0] != 4 || a.rows[1] != 8 {
		t.Errorf("kept rows %v, want [4 8]", a.rows)
	}
}

// TestShownLabels: a segments column picked by mistake must not put its
// values (e-mail addresses, one person's words) in the summary, which
// match prints and the console shows.
func TestShownLabels(t *testing.T) {
	got := shownLabels(map[string]int64{
		"churn_risk": 5, "Nouveau client": 4, "jane@example.com": 1, "Jane Doe": 1,
		"0612345678": 2, otherUnknownSegments: 7,
	})
	want := map[string]int64{"churn_risk": 5, "Nouveau client": 4, otherUnknownSegments: 7, hiddenLabels: 4}
	if !maps.Equal(got, want) {
		t.Errorf("shownLabels = %v, want %v", got, want)
	}
}
