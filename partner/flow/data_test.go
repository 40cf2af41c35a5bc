package flow

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// genRow is one generated input row with what the test expects of it,
// worked out from how it was generated, not by the code under test.
type genRow struct {
	number    int    // 1-based data row
	email     string // normalized identifier; "" for an invalid one
	written   string // the cell as written
	consent   string
	segments  []string
	counts    bool   // may count under the default count rule
	activates bool   // consent 1, 3 and 4
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
			r.consent, r.counts, r.activates = "1;3;4;7", true, true
		case 6:
			r.consent, r.counts = "7", true
		case 7:
			r.consent, r.counts = "li:9", true
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
			r.written, r.email, r.counts, r.activates = "jane@@example.com", "", false, false
			r.reason = "invalid email: more than one '@'"
		case i%89 == 40:
			r.consent, r.counts, r.activates = "1;;7", false, false
			r.reason = "unreadable consent cell (no consent assumed): invalid purpose list: item 2 is not a purpose id from 1 to 24"
		case i%101 == 60:
			r.malformed, r.counts, r.activates = true, false, false
			r.reason = "malformed CSV row: has 4 fields, header has 3"
		case i%83 == 30 && rows[i-5].email != "" && !rows[i-5].malformed:
			// The user of five rows above typed again: the row stays
			// home, whatever either row's consent says.
			first := rows[i-5]
			r.written, r.email, r.counts, r.activates = strings.ToUpper(first.email), first.email, false, false
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
// audiences, under the default count and activation rules.
type truth struct {
	overlap    int64
	segments   map[string]int64
	activation map[int][]string // partner row -> segment names, sorted
	advKept    int
	pubKept    int
}

func groundTruth(adv, pub []genRow, segments []string, k int64) truth {
	type advUser struct{ member, activatable map[string]bool }
	users := map[string]*advUser{}
	t := truth{segments: map[string]int64{}, activation: map[int][]string{}}
	for _, r := range adv {
		if r.reason != "" {
			continue
		}
		t.advKept++
		u := users[r.email]
		if u == nil {
			u = &advUser{map[string]bool{}, map[string]bool{}}
			users[r.email] = u
		}
		for _, s := range r.segments {
			if !slices.Contains(segments, s) {
				continue
			}
			u.member[s] = true
			if r.activates {
				u.activatable[s] = true
			}
		}
	}
	matched := map[string]bool{}
	actCount := map[string]int64{}
	acts := map[int][]string{}
	for _, r := range pub {
		if r.reason != "" {
			continue
		}
		t.pubKept++
		u, ok := users[r.email]
		if !ok {
			continue
		}
		matched[r.email] = true
		if !r.activates {
			continue
		}
		for _, s := range segments {
			if u.activatable[s] {
				acts[r.number] = append(acts[r.number], s)
				actCount[s]++
			}
		}
	}
	t.overlap = int64(len(matched))
	for e := range matched {
		for s := range users[e].member {
			t.segments[s]++
		}
	}
	for row, segs := range acts {
		var kept []string
		for _, s := range segs {
			if actCount[s] >= k {
				kept = append(kept, s)
			}
		}
		if len(kept) > 0 {
			t.activation[row] = kept
		}
	}
	return t
}
