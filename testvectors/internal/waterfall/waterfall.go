// Package waterfall states the matching rules of a multi-key session
// (protocol/SPEC.md section 11, rules 2 to 5) as plainly as possible, over
// the join digests of the parties' rows, for the test vectors: the
// generator checks its designed outcomes with it and the Go replay checks
// the files with it. It shares no code with the clean room's join, which
// computes the same with sorting and bit sets at scale; the Python replay
// is a third statement of the rules, written from the README.
package waterfall

// Row is a party's row: the join digest of each match key it has, by key
// index, "" where it has none.
type Row []string

// Link is a linked pair: advertiser row A, media-partner row B, and the
// index of the key that linked them.
type Link struct{ A, B, Key int }

// Apply runs rule 2 on both parties' rows (drop: a value on several rows
// of a party leaves all of them; otherwise it stays on the first), then the
// rounds of rules 3 and 4 (block: a pair whose rows both have an earlier
// key is not linked). It returns the pairs of each round and the links in
// the order they were made.
func Apply(keys int, drop, block bool, a, b []Row) ([]int, []Link) {
	a, b = dedupe(keys, drop, a), dedupe(keys, drop, b)
	rounds := make([]int, keys)
	var links []Link
	linkedA, linkedB := map[int]bool{}, map[int]bool{}
	for t := range keys {
		for i, ra := range a {
			for j, rb := range b {
				if linkedA[i] || linkedB[j] || ra[t] == "" || ra[t] != rb[t] || (block && conflict(t, ra, rb)) {
					continue
				}
				linkedA[i], linkedB[j] = true, true
				rounds[t]++
				links = append(links, Link{A: i, B: j, Key: t})
			}
		}
	}
	return rounds, links
}

// conflict reports whether both rows have some key before key t.
func conflict(t int, a, b Row) bool {
	for k := range t {
		if a[k] != "" && b[k] != "" {
			return true
		}
	}
	return false
}

// dedupe returns a copy of rows after rule 2.
func dedupe(keys int, drop bool, rows []Row) []Row {
	out := make([]Row, len(rows))
	for i, r := range rows {
		out[i] = append(Row(nil), r...)
	}
	for k := range keys {
		count := map[string]int{}
		for _, r := range rows {
			if r[k] != "" {
				count[r[k]]++
			}
		}
		seen := map[string]bool{}
		for _, r := range out {
			v := r[k]
			if v == "" {
				continue
			}
			if seen[v] || (drop && count[v] > 1) {
				r[k] = ""
			}
			seen[v] = true
		}
	}
	return out
}
