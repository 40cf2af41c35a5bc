package main

import (
	"fmt"
	"slices"

	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
	"github.com/blindjoin/blindjoin/testvectors/internal/waterfall"
)

// keyedEntry is a row of a multi-key session: an entry per key it has.
type keyedEntry struct {
	comment            string
	email, phone, maid *entry
}

// designedOutcome is what the rows of a multikey session are designed to
// give under one setting; gen checks that the rules agree.
type designedOutcome struct {
	duplicates, conflicts string
	rounds                []int
	links                 [][3]int // advertiser row, partner row, key; in the order made: by round, then advertiser row
}

type multiKey struct {
	comment  string
	keys     []string
	a, b     []keyedEntry
	outcomes []designedOutcome
}

func email(s string) *entry { return &entry{typ: identifier.Email, input: s} }
func phone(s string) *entry { return &entry{typ: identifier.Phone, input: s} }
func maid(s string) *entry  { return &entry{typ: identifier.MAID, input: s} }

// multiKeys is protocol/SPEC.md's worked example with a MAID round and a
// duplicated CRM row added.
var multiKeys = []multiKey{{
	comment: "Keys email, phone, maid. Ann keeps an office persona (a0) and a personal one (b0) that share a phone; " +
		"Bob is the same e-mail in two spellings; a household phone is on one advertiser row and two partner rows; " +
		"Cat has an e-mail and a phone at the advertiser, the phone only at the partner; " +
		"Dan is a CRM row written twice (a4, a5) with a MAID the partner has (b5).",
	keys: []string{"email", "phone", "maid"},
	a: []keyedEntry{
		{comment: "Ann, office persona", email: email("ann@work.example"), phone: phone("+33611111111")},
		{comment: "Bob", email: email("bob@example.com")},
		{comment: "household", phone: phone("+33622222222")},
		{comment: "Cat", email: email("cat@example.com"), phone: phone("+33633333333")},
		{comment: "Dan", email: email("dan@example.com"), maid: maid("6D92078A-8246-4BA4-AE5B-76104861E7DC")},
		{comment: "Dan again: a duplicated CRM row", email: email("dan@example.com"), maid: maid("6D92078A-8246-4BA4-AE5B-76104861E7DC")},
	},
	b: []keyedEntry{
		{comment: "Ann, personal persona", email: email("ann@home.example"), phone: phone("+33611111111")},
		{comment: "Bob", email: email(" Bob@Example.com "), phone: phone("+33644444444")},
		{comment: "household, first member", phone: phone("+33622222222")},
		{comment: "household, second member", phone: phone("+33622222222")},
		{comment: "Cat", phone: phone("+33633333333")},
		{comment: "Dan", maid: maid("6d92078a-8246-4ba4-ae5b-76104861e7dc")},
	},
	outcomes: []designedOutcome{
		{"first", "block", []int{1, 2, 1}, [][3]int{{1, 1, 0}, {2, 2, 1}, {3, 4, 1}, {4, 5, 2}}},
		{"drop", "block", []int{1, 1, 0}, [][3]int{{1, 1, 0}, {3, 4, 1}}},
		{"first", "ignore", []int{1, 3, 1}, [][3]int{{1, 1, 0}, {0, 0, 1}, {2, 2, 1}, {3, 4, 1}, {4, 5, 2}}},
		{"drop", "ignore", []int{1, 2, 0}, [][3]int{{1, 1, 0}, {0, 0, 1}, {3, 4, 1}}},
	},
}}

func multiKeyFile(k *keys) (*schema.File, error) {
	f := &schema.File{
		Description: "Multi-key sessions (protocol/SPEC.md section 11): each row has a record per match key it has, " +
			"taken through protocol v1 as in intersection.json (a: the advertiser's rows, b: the media partner's). " +
			"Each outcome gives, for one setting of duplicates and conflicts, the pairs linked in each round, " +
			"the overlap and every link, computed from the join digests by the rules. See README.md.",
		KeyA: k.aHex,
		KeyB: k.bHex,
	}
	for i, m := range multiKeys {
		x := schema.MultiKey{Comment: m.comment, MatchKeys: m.keys}
		var err error
		var rowsA, rowsB []waterfall.Row
		if x.A, rowsA, err = keyedRows(k, m.a, sideA); err != nil {
			return nil, err
		}
		if x.B, rowsB, err = keyedRows(k, m.b, sideB); err != nil {
			return nil, err
		}
		for _, o := range m.outcomes {
			rounds, links := waterfall.Apply(len(m.keys), o.duplicates == "drop", o.conflicts == "block", rowsA, rowsB)
			designed := make([]waterfall.Link, len(o.links))
			for j, l := range o.links {
				designed[j] = waterfall.Link{A: l[0], B: l[1], Key: l[2]}
			}
			if !slices.Equal(rounds, o.rounds) || !slices.Equal(links, designed) {
				return nil, fmt.Errorf("multikey %d, %s/%s: the rules give %v %v, designed %v %v", i, o.duplicates, o.conflicts, rounds, links, o.rounds, o.links)
			}
			out := schema.Outcome{Duplicates: o.duplicates, Conflicts: o.conflicts, Overlap: new(int), Links: []schema.Link{}}
			for t, n := range rounds {
				out.Rounds = append(out.Rounds, schema.Round{Key: m.keys[t], Pairs: &n})
				*out.Overlap += n
			}
			for _, l := range links {
				out.Links = append(out.Links, schema.Link{A: &l.A, B: &l.B, Key: m.keys[l.Key]})
			}
			x.Outcomes = append(x.Outcomes, out)
		}
		f.MultiKey = append(f.MultiKey, x)
	}
	return f, nil
}

// keyedRows builds the records of each row and its join digests by key.
func keyedRows(k *keys, entries []keyedEntry, s side) ([]schema.KeyedRow, []waterfall.Row, error) {
	rows := make([]schema.KeyedRow, len(entries))
	digests := make([]waterfall.Row, len(entries))
	for i, e := range entries {
		rows[i].Comment = e.comment
		digests[i] = make(waterfall.Row, 3)
		for j, slot := range []struct {
			in  *entry
			out **schema.Record
		}{{e.email, &rows[i].Email}, {e.phone, &rows[i].Phone}, {e.maid, &rows[i].MAID}} {
			if slot.in == nil {
				continue
			}
			rec, err := buildRecord(k, *slot.in, s)
			if err != nil {
				return nil, nil, err
			}
			*slot.out = &rec
			digests[i][j] = rec.JoinDigest
		}
	}
	return rows, digests, nil
}
