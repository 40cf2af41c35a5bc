package testvectors

import (
	"fmt"
	"slices"

	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
	"github.com/blindjoin/blindjoin/testvectors/internal/waterfall"
)

// matchKeys are the keys a multi-key session may name, in the order of a
// row's fields.
var matchKeys = []string{"email", "phone", "maid"}

// multiKey replays a multi-key session: every record of every row (as an
// intersection's), then each outcome: the rounds, overlap and links the
// rules give over the rows' join digests.
func (r *replayer) multiKey(path string, m *schema.MultiKey) error {
	if len(m.MatchKeys) < 1 || len(m.MatchKeys) > len(matchKeys) {
		return &Error{Vector: path, Field: "match_keys", Reason: "not one to three keys"}
	}
	for i, k := range m.MatchKeys {
		if !slices.Contains(matchKeys, k) || slices.Contains(m.MatchKeys[:i], k) {
			return &Error{Vector: path, Field: "match_keys", Reason: "not distinct keys among email, phone, maid"}
		}
	}
	rowsA, err := r.keyedRows(path+".a", m.A, m.MatchKeys, advertiser)
	if err != nil {
		return err
	}
	rowsB, err := r.keyedRows(path+".b", m.B, m.MatchKeys, mediaPartner)
	if err != nil {
		return err
	}
	if len(m.Outcomes) == 0 {
		return &Error{Vector: path, Field: "outcomes", Reason: "missing"}
	}
	for i, o := range m.Outcomes {
		if err := r.outcome(fmt.Sprintf("%s.outcomes[%d]", path, i), &o, m.MatchKeys, rowsA, rowsB); err != nil {
			return err
		}
		r.checked++
	}
	return nil
}

// keyedRows replays the records of rows and returns their join digests in
// the session's key order.
func (r *replayer) keyedRows(path string, rows []schema.KeyedRow, keys []string, s side) ([]waterfall.Row, error) {
	out := make([]waterfall.Row, len(rows))
	for i, row := range rows {
		byKey := map[string]*schema.Record{"email": row.Email, "phone": row.Phone, "maid": row.MAID}
		out[i] = make(waterfall.Row, len(keys))
		present := 0
		for _, k := range matchKeys {
			rec := byKey[k]
			if rec == nil {
				continue
			}
			at := fmt.Sprintf("%s[%d].%s", path, i, k)
			t := slices.Index(keys, k)
			switch {
			case t < 0:
				return nil, &Error{Vector: at, Reason: "a record for a key the session does not match on"}
			case rec.Type != k && rec.Type != "sha256":
				return nil, &Error{Vector: at, Field: "type", Reason: "neither the key nor sha256"}
			}
			if err := r.joinRecord(at, rec, s); err != nil {
				return nil, err
			}
			out[i][t] = rec.JoinDigest
			present++
		}
		if present == 0 {
			return nil, &Error{Vector: fmt.Sprintf("%s[%d]", path, i), Reason: "a row without any key"}
		}
	}
	return out, nil
}

// outcome checks one setting's rounds, overlap and links.
func (r *replayer) outcome(path string, o *schema.Outcome, keys []string, a, b []waterfall.Row) error {
	var drop, block bool
	switch o.Duplicates {
	case "first":
	case "drop":
		drop = true
	default:
		return &Error{Vector: path, Field: "duplicates", Reason: `not "first" or "drop"`}
	}
	switch o.Conflicts {
	case "ignore":
	case "block":
		block = true
	default:
		return &Error{Vector: path, Field: "conflicts", Reason: `not "block" or "ignore"`}
	}
	rounds, links := waterfall.Apply(len(keys), drop, block, a, b)
	if len(o.Rounds) != len(keys) {
		return &Error{Vector: path, Field: "rounds", Reason: fmt.Sprintf("%d rounds for %d keys", len(o.Rounds), len(keys))}
	}
	total := 0
	for t, round := range o.Rounds {
		if round.Key != keys[t] || round.Pairs == nil || *round.Pairs != rounds[t] {
			return &Error{Vector: path, Field: fmt.Sprintf("rounds[%d]", t), Reason: fmt.Sprintf("the rules give %s %d", keys[t], rounds[t])}
		}
		total += rounds[t]
	}
	if o.Overlap == nil || *o.Overlap != total {
		return &Error{Vector: path, Field: "overlap", Reason: fmt.Sprintf("the rules give %d", total)}
	}
	if len(o.Links) != len(links) {
		return &Error{Vector: path, Field: "links", Reason: fmt.Sprintf("the rules give %d links, the file has %d", len(links), len(o.Links))}
	}
	for i, l := range o.Links {
		want := links[i]
		if l.A == nil || l.B == nil || *l.A != want.A || *l.B != want.B || l.Key != keys[want.Key] {
			return &Error{Vector: path, Field: fmt.Sprintf("links[%d]", i), Reason: fmt.Sprintf("the rules give a%d-b%d on %s", want.A, want.B, keys[want.Key])}
		}
	}
	return nil
}
