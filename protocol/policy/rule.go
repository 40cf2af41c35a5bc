package policy

import "slices"

// MaxPurpose is the highest purpose TCF 2.2 defines.
const MaxPurpose = 11

// liAllowed reports whether TCF 2.2 lets purpose p rest on legitimate
// interest: never for 1 (store and access information on a device), and no
// longer for 3..6 (profiles and personalisation) since TCF 2.2.
func liAllowed(p int) bool {
	return p == 2 || (p >= 7 && p <= MaxPurpose)
}

// purposes returns the purposes the rule names, whichever its kind.
func (r Rule) purposes() []int {
	if len(r.AnyOf) > 0 {
		return r.AnyOf
	}
	return r.AllOf
}

// satisfiedBy reports whether the rule holds when exactly the purposes in
// set are satisfied.
func (r Rule) satisfiedBy(set []int) bool {
	if len(r.AnyOf) > 0 {
		for _, p := range r.AnyOf {
			if slices.Contains(set, p) {
				return true
			}
		}
		return false
	}
	for _, p := range r.AllOf {
		if !slices.Contains(set, p) {
			return false
		}
	}
	return len(r.AllOf) > 0
}

// minimalSets returns the smallest purpose sets that satisfy the rule:
// {p} for each p of an any_of rule, the whole list of an all_of rule.
func (r Rule) minimalSets() [][]int {
	if len(r.AnyOf) > 0 {
		sets := make([][]int, len(r.AnyOf))
		for i, p := range r.AnyOf {
			sets[i] = []int{p}
		}
		return sets
	}
	return [][]int{r.AllOf}
}

// implies reports whether every purpose set that satisfies r satisfies s:
// rules are monotone, so it suffices to check r's minimal sets. A rule with
// no purposes implies nothing.
func (r Rule) implies(s Rule) bool {
	if len(r.purposes()) == 0 {
		return false
	}
	for _, set := range r.minimalSets() {
		if !s.satisfiedBy(set) {
			return false
		}
	}
	return true
}
