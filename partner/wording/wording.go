// Package wording says the figures and the policy of a session in plain
// words, the same way wherever a person reads them: the CLI's text output
// and the local web console both use it, so a count or a policy field
// never reads one way in a terminal and another in a browser.
package wording

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Thousands writes n with comma separators: 20,000.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ByCount returns the names of counts, the largest count first, names
// of equal counts in order: how every list of counts reads.
func ByCount(counts map[string]int64) []string {
	return slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b))
	})
}

// Role names a party's role for people: "media partner", not the API's
// "media_partner".
func Role(role api.Role) string {
	if role == api.RoleMediaPartner {
		return "media partner"
	}
	return string(role)
}

// Released shows a released count, or its suppression under threshold k
// (0 if unknown): never a number for a suppressed count.
func Released(n *int64, k int64) string {
	switch {
	case n == nil && k > 0:
		return fmt.Sprintf("suppressed (< %d)", k)
	case n == nil:
		return "suppressed (< k)"
	}
	return Thousands(*n)
}

// Field is one policy field in plain words.
type Field struct {
	Name    string // the policy JSON key
	Meaning string // its value and what it means for the parties' users
	// Default is true when the field has the value of policy.Default.
	Default bool
}

// Policy explains p field by field, in the order of the policy JSON.
func Policy(p policy.Policy) []Field {
	def := policy.Default()
	segs := "every segment of the session"
	if len(p.ActivationSegments) > 0 {
		segs = strings.Join(p.ActivationSegments, ", ")
	}
	dp := "none: released counts are exact"
	if p.DP != nil {
		dp = fmt.Sprintf("noise on every released count, epsilon %g in total", p.DP.Epsilon)
	}
	vendors := "none required"
	if len(p.VendorIDs) > 0 {
		vendors = "consent required for TCF vendors " + intList(p.VendorIDs)
	}
	fields := []Field{
		{"min_rows", fmt.Sprintf("%s: each party uploads at least this many distinct identifiers that may count", Thousands(p.MinRows)), p.MinRows == def.MinRows},
		{"k", fmt.Sprintf("%s: any released count below it is suppressed", Thousands(p.K)), p.K == def.K},
		{"count_purposes", ruleText(p.CountPurposes) + ", by consent or legitimate interest: rows without it never leave their party", reflect.DeepEqual(p.CountPurposes, def.CountPurposes)},
		{"activation_purposes", ruleText(p.ActivationPurposes) + ", by consent, on both rows: only then is a matched row released for activation", reflect.DeepEqual(p.ActivationPurposes, def.ActivationPurposes)},
		{"activation_segments", segs, len(p.ActivationSegments) == 0},
		{"rate_granularity", string(p.RateGranularity) + fmt.Sprintf(", rounded down; above %d%% only \">%d%%\"", policy.RateCap, policy.RateCap), p.RateGranularity == def.RateGranularity},
		{"dp", dp, p.DP == nil},
		{"vendor_ids", vendors, len(p.VendorIDs) == 0},
		{"retention_days", fmt.Sprintf("%d: blinded data is deleted this long after the results", p.RetentionDays), p.RetentionDays == def.RetentionDays},
	}
	if !p.Multi() {
		return fields
	}
	dups := "first: a value on several of a party's rows stays on the first of them"
	if p.Duplicates == policy.DuplicatesDrop {
		dups = "drop: a value on several of a party's rows is dropped from all of them (a shared household phone links nobody)"
	}
	conflicts := "block: two rows that both have an earlier key (different e-mails) are never linked on a later one (two personas stay two)"
	if p.Conflicts == policy.ConflictsIgnore {
		conflicts = "ignore: rows are linked on a later key even when their earlier keys differ (plain waterfall: may merge personas)"
	}
	return append(fields,
		Field{"match_keys", strings.Join(p.MatchKeys, ", then ") + ": rows are linked on the first key, then the rows still unlinked on the next; each row at most once", false},
		Field{"duplicates", dups, p.Duplicates != policy.DuplicatesDrop},
		Field{"conflicts", conflicts, p.Conflicts != policy.ConflictsIgnore},
	)
}

func ruleText(r policy.Rule) string {
	if len(r.AllOf) > 0 {
		return "all of purposes " + intList(r.AllOf)
	}
	return "any of purposes " + intList(r.AnyOf)
}

func intList(ids []int) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ", ")
}

// Waterfall words the pairs each round of a multi-key session linked, in
// key order: "email 3,877 · then phone +412 · then maid +97".
func Waterfall(rounds []api.KeyPairs) string {
	parts := make([]string, len(rounds))
	for i, r := range rounds {
		if i == 0 {
			parts[i] = r.Key + " " + Thousands(r.Pairs)
		} else {
			parts[i] = "then " + r.Key + " +" + Thousands(r.Pairs)
		}
	}
	return strings.Join(parts, " · ")
}

// Rounds words overlap_by_key as released for a session matching on keys
// match keys: the waterfall; why it is not shown when a round was below k;
// "" for a one-key session, whose single round is its overlap.
func Rounds(o api.OverlapRounds, keys int, k int64) string {
	switch {
	case keys < 2:
		return ""
	case o.Released && o.Rounds == nil && k > 0:
		return fmt.Sprintf("suppressed per key: a round linked fewer than %d pairs", k)
	case o.Released && o.Rounds == nil:
		return "suppressed per key: a round linked fewer than k pairs"
	}
	return Waterfall(o.Rounds)
}
