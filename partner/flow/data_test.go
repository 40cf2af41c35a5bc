package flow

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// genRow is one generated input row with what the test expects of it,
// worked out from how it was generated, not by the code under test.
type genRow struct {
	number    int    // 1-based data row
	email     string // normalized identifier; "" for an invalid one
	written   string // the cell as written
	consent   string
	segments  []string
	reason    string // expected rejects.csv reason, "" if kept
	malformed bool   // written with a wrong field count
}

const noBasis = "no lawful basis for counting (purposes 7/9)"

// genAudience makes n rows for users first..first+n-1. Advertiser rows
// carry segments.
func genAudience(first, n int, advertiser bool) []genRow {
	var rows []genRow
	for i := range n {
		u := first + i
		r := genRow{number: len(rows) + 1}
		r.email = fmt.Sprintf("user%d@example.com", u)
		switch u % 5 {
		case 0:
			r.email = fmt.Sprintf("user%d@gmail.com", u)
			r.written = fmt.Sprintf("User.%d+news@GMail.com", u)
		case 1:
			r.written = strings.ToUpper(r.email)
		case 2:
			r.written = "  " + r.email + "\t"
		default:
			r.written = r.email
		}
		// Consent depends on the row, not the user, so the two sides
		// disagree on some users.
		switch (u + boolInt(advertiser)) % 10 {
		case 0, 1, 2, 3, 4, 5:
			r.consent = "1;3;4;7"
		case 6:
			r.consent = "7"
		case 7:
			r.consent = "li:9"
		case 8:
			r.consent, r.reason = "", noBasis
		case 9:
			r.consent, r.reason = "2;3", noBasis
		}
		if advertiser {
			switch u % 3 {
			case 0:
				r.segments = []string{"sports"}
			case 1:
				r.segments = []string{"travel", "sports"}
			}
			if u%7 == 0 {
				r.segments = append(r.segments, "typo-segment")
			}
			if u%11 == 0 {
				r.segments = append(r.segments, "luxury")
			}
		}
		switch {
		case i%97 == 50:
			r.written, r.email = "jane@@example.com", ""
			r.reason = "invalid email: more than one '@'"
		case i%89 == 40:
			r.consent = "1;;7"
			r.reason = "unreadable consent cell (no consent assumed): invalid purpose list: item 2 is not a purpose id from 1 to 24"
		case i%101 == 60:
			r.malformed = true
			r.reason = "malformed CSV row: has 4 fields, header has 3"
		case i%83 == 30 && rows[i-5].email != "" && !rows[i-5].malformed:
			// The user of five rows above typed again: the row stays
			// home, whatever either row's consent says.
			first := rows[i-5]
			r.written, r.email = strings.ToUpper(first.email), first.email
			r.reason = fmt.Sprintf("duplicate email: same email as row %d", first.number)
		}
		rows = append(rows, r)
	}
	return rows
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeCSV writes rows to a file and returns its path.
func writeCSV(t *testing.T, rows []genRow, advertiser bool) string {
	t.Helper()
	var b strings.Builder
	if advertiser {
		b.WriteString("Email,Segments,TCF\n")
	} else {
		b.WriteString("email,note,consent\n")
	}
	for _, r := range rows {
		mid := "n/a"
		if advertiser {
			mid = strings.Join(r.segments, ";")
		}
		fmt.Fprintf(&b, "\"%s\",%s,%s", strings.ReplaceAll(r.written, `"`, `""`), mid, r.consent)
		if r.malformed {
			b.WriteString(",extra")
		}
		b.WriteString("\r\n")
	}
	path := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// truth is the plaintext outcome of a session over two generated
// audiences, as synth.ComputeTruth (the project's one plaintext oracle)
// works it out from the cells.
type truth struct {
	overlap     int64
	segments    map[string]int64
	activation  map[int][]string // partner row -> segment names, in session order
	advKept     int
	partnerKept int
}

// truthOf computes the truth under policyJSON for the session's segments
// (in the clean room's order, which is the activation file's). A malformed
// CSV row has no cells the oracle could read; it goes in with no
// identifier, which the oracle rejects as the flow does, so that partner
// rows keep their numbers.
func truthOf(t *testing.T, adv, partner []genRow, policyJSON string, segments []string) truth {
	t.Helper()
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		t.Fatal(err)
	}
	cell := func(r genRow) string {
		if r.malformed {
			return ""
		}
		return r.written
	}
	advRows := func(yield func(synth.AdvertiserRow) bool) {
		for _, r := range adv {
			if !yield(synth.AdvertiserRow{ID: cell(r), Segments: strings.Join(r.segments, ";"), Consent: r.consent}) {
				return
			}
		}
	}
	partnerRows := func(yield func(synth.PartnerRow) bool) {
		for _, r := range partner {
			if !yield(synth.PartnerRow{ID: cell(r), Consent: r.consent}) {
				return
			}
		}
	}
	got, err := synth.ComputeTruth(pol, identifier.Email, segments, advRows, partnerRows)
	if err != nil {
		t.Fatal(err)
	}
	tr := truth{overlap: int64(got.Overlap), segments: map[string]int64{}, activation: map[int][]string{},
		advKept: got.Advertiser.Counted, partnerKept: got.Partner.Counted}
	for s, n := range got.SegmentOverlap {
		tr.segments[s] = int64(n)
	}
	for _, a := range got.Released(int(pol.K)) {
		tr.activation[a.Row] = a.Segments
	}
	return tr
}
