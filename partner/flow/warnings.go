package flow

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Warning is something about the input that the run does not refuse but
// the user most likely wants to fix before uploading, with the likely fix.
// Messages name flags, counts and segment labels that are words, never a
// cell that could be an identifier or a consent string.
type Warning struct {
	Kind    WarningKind `json:"kind"`
	Message string      `json:"message"`
}

// WarningKind says what a Warning is about, for a caller that reacts to
// some (a test, a web page) rather than only printing them.
type WarningKind string

const (
	WarnInput         WarningKind = "input"          // the file looks like another encoding (csvin.Reader.Hints)
	WarnRejects       WarningKind = "rejects"        // a large group of rows stays home for one reason
	WarnRegion        WarningKind = "region"         // phone numbers that a --region would read
	WarnConsentValues WarningKind = "consent-values" // first-party consent values: a --consent-map is needed
	WarnUnmapped      WarningKind = "consent-map"    // consent cells the --consent-map does not list
	WarnNoLabels      WarningKind = "no-segments"    // the segments column yields no segment
	WarnSegmentNames  WarningKind = "segment-names"  // labels that are not segment names
	WarnMinRows       WarningKind = "min-rows"       // fewer rows may count than the policy's min_rows (Preflight only: Run stops)
)

// largeRejectShare: a reason that keeps home at least 1 row in this many
// is worth a warning of its own.
const largeRejectShare = 10

// warnings draws the warnings of an input read into a.
func (r *runner) warnings(a *audience) []Warning {
	var out []Warning
	add := func(k WarningKind, format string, args ...any) {
		out = append(out, Warning{Kind: k, Message: fmt.Sprintf(format, args...)})
	}
	for _, h := range a.hints {
		add(WarnInput, "%s", h)
	}
	covered := map[string]bool{} // reasons a warning below already explains

	if r.info.matchKey == identifier.Phone {
		out = append(out, r.regionWarning(a, covered)...)
	}
	if n := a.stats.notTCString; n > 0 && r.opts.ConsentMap == nil {
		covered[reasonBadConsent] = true
		add(WarnConsentValues, "%s consent cells are neither TC strings nor purpose lists but first-party values (such as Oui/Non): map each value to the purposes it grants with --consent-map, e.g. --consent-map 'Oui=1;3;4;7;9,Non='", wording.Thousands(n))
	}
	if n := a.rejected[reasonUnmapped]; n > 0 {
		covered[reasonUnmapped] = true
		add(WarnUnmapped, "%s consent cells are not values of the consent mapping: those rows stay home%s; add their values to --consent-map", wording.Thousands(n), r.rejectsNote())
	}
	// Identifiers and CSV rows only: refused consent is the users' choice,
	// and a repeated identifier is the same person.
	for _, reason := range slices.Sorted(maps.Keys(a.rejected)) {
		n := a.rejected[reason]
		kind := KindOf(reason)
		if !covered[reason] && (kind == RejectIdentifier || kind == RejectCSV) && n*largeRejectShare >= a.read {
			add(WarnRejects, "%s of %s rows (%d%%) stay home: %s%s", wording.Thousands(n), wording.Thousands(a.read), n*100/max(a.read, 1), reason, r.rejectsNote())
		}
	}
	out = append(out, r.segmentWarnings(a)...)
	return out
}

// rejectsNote points to rejects.csv, when the run writes one.
func (r *runner) rejectsNote() string {
	if r.opts.OutDir == "" {
		return ""
	}
	return " (" + rejectsFile + " lists them)"
}

// regionWarning suggests the --region under which the rejected phone
// numbers are valid, when one stands out (identifier.RegionGuesser; ties
// are broken by Options.RegionHints), and marks the phone reasons covered.
func (r *runner) regionWarning(a *audience, covered map[string]bool) []Warning {
	var phones, noRegion int64
	reasons := []string{}
	for reason, n := range a.rejected {
		if strings.HasPrefix(reason, "invalid "+string(identifier.Phone)+":") {
			phones += n
			reasons = append(reasons, reason)
		}
		if reason == noRegionReason {
			noRegion = n
		}
	}
	region, ok := a.stats.region.Suggest(r.opts.RegionHints...)
	switch {
	case phones == 0:
		return nil
	case ok && region != strings.ToUpper(r.opts.DefaultRegion):
		for _, reason := range reasons {
			covered[reason] = true
		}
		return []Warning{{WarnRegion, fmt.Sprintf("%s phones are not valid numbers; did you mean --region %s?", wording.Thousands(phones), region)}}
	case noRegion > 0:
		covered[noRegionReason] = true
		return []Warning{{WarnRegion, fmt.Sprintf("%s phones are written without their country code: give the country they are from with --region (e.g. --region FR)", wording.Thousands(noRegion))}}
	}
	return nil
}

// noRegionReason is the reject key of a national phone number read without
// a default region.
var noRegionReason = "invalid phone: " + identifier.ReasonNotE164

// segmentWarnings warns an advertiser about a segments column that yields
// no segment, and about labels that are not segment names.
func (r *runner) segmentWarnings(a *audience) []Warning {
	column := r.columns().Segments
	if r.info.role != api.RoleAdvertiser || column == "" {
		return nil
	}
	var out []Warning
	switch {
	case a.stats.labelled == 0:
		out = append(out, Warning{WarnNoLabels, fmt.Sprintf("the segments column %q holds no labels: no row would carry a segment (check --segments-column)", column)})
	case len(r.info.segments) > 0 && a.stats.withSegment == 0:
		out = append(out, Warning{WarnNoLabels, fmt.Sprintf("no row that may count carries a segment of the session (%s): every segment would be empty", strings.Join(r.info.segments, ", "))})
	}
	var words, fixed []string
	shaped := 0 // labels shaped like identifiers: never printed
	for _, name := range slices.Sorted(maps.Keys(a.unknown)) {
		if name == otherUnknownSegments || policy.CheckSegmentName(name) == nil {
			continue
		}
		if !showableLabel(name, a.unknown[name]) {
			shaped++
			continue
		}
		words = append(words, fmt.Sprintf("%q (%s rows)", name, wording.Thousands(a.unknown[name])))
		fixed = append(fixed, Slug(name))
	}
	if len(words) > 0 {
		fix := "--segment-names slug makes them " + strings.Join(fixed, ", ")
		if r.opts.SegmentNames == SegmentNamesSlug {
			fix = "rename them in the file"
		}
		out = append(out, Warning{WarnSegmentNames, fmt.Sprintf("%d labels are not segment names (1..64 characters of A-Z a-z 0-9 _ . -): %s; %s, on session create --segments-from as on match", len(words), strings.Join(words, ", "), fix)})
	}
	if shaped > 0 {
		count := strconv.Itoa(shaped)
		if a.unknown[otherUnknownSegments] > 0 {
			count = "at least " + count // the classifier stops naming them past maxUnknownSegments
		}
		out = append(out, Warning{WarnSegmentNames, fmt.Sprintf("%s labels are not segment names and look like values of a person or identifiers, not groups (not shown): check --segments-column", count)})
	}
	return out
}
