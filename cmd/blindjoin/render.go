package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// The text output of the session, results and match commands. JSON output
// prints the API's types as they are; these functions are for people.

// thousands writes n with comma separators: 20,000.
func thousands(n int64) string { return wording.Thousands(n) }

// releasedText shows a released count, or its suppression under threshold
// k (0 if unknown).
func releasedText(n *int64, k int64) string { return wording.Released(n, k) }

// describePolicy writes what a policy means for the parties' users, field
// by field, with the hash a media partner accepts.
func describePolicy(w io.Writer, p policy.Policy, indent string) {
	for _, f := range wording.Policy(p) {
		fmt.Fprintf(w, "%s%-20s %s\n", indent, f.Name, f.Meaning)
	}
}

// describeSession writes a session's parties, state, segments and uploads.
func describeSession(w io.Writer, s api.Session) {
	fmt.Fprintf(w, "session     %s\n", s.ID)
	fmt.Fprintf(w, "state       %s\n", s.State)
	fmt.Fprintf(w, "advertiser  %s\n", s.Advertiser)
	fmt.Fprintf(w, "partner     %s\n", s.Partner)
	if len(s.MatchKeys) > 1 {
		fmt.Fprintf(w, "match keys  %s (in this order)\n", strings.Join(s.MatchKeys, ", "))
	} else {
		fmt.Fprintf(w, "match key   %s\n", s.MatchKey)
	}
	fmt.Fprintf(w, "segments    %s\n", listOrNone(s.Segments))
	fmt.Fprintf(w, "auditors    %s\n", listOrNone(s.Auditors))
	fmt.Fprintf(w, "created     %s\n", s.CreatedAt.Local().Format(time.DateTime))
	if s.PurgeAfter != nil {
		fmt.Fprintf(w, "purge after %s\n", s.PurgeAfter.Local().Format(time.DateTime))
	}
	side := func(name string, p api.SideProgress) {
		fmt.Fprintf(w, "  %-13s blinded %s records in %d parts%s, re-blinded %s records in %d parts%s\n", name,
			thousands(int64(p.BlindedRecords)), p.BlindedParts, completeText(p.BlindedComplete),
			thousands(int64(p.ReblindedRecords)), p.ReblindedParts, completeText(p.ReblindedComplete))
	}
	fmt.Fprintln(w, "uploads")
	side("advertiser", s.Uploads.Advertiser)
	side("media partner", s.Uploads.MediaPartner)
}

func completeText(done bool) string {
	if done {
		return " (complete)"
	}
	return ""
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// describeResults writes what the clean room released to the caller.
func describeResults(w io.Writer, r api.Results, k int64) {
	fmt.Fprintf(w, "overlap     %s\n", releasedText(r.Overlap, k))
	if rounds := wording.Rounds(r.OverlapByKey, len(r.OverlapByKey.Rounds), k); rounds != "" {
		fmt.Fprintf(w, "waterfall   %s\n", rounds)
	}
	rate := r.MatchRate.Advertiser
	if r.Role == api.RoleMediaPartner {
		rate = r.MatchRate.MediaPartner
	}
	if rate != nil {
		fmt.Fprintf(w, "match rate  %s of your rows that counted\n", *rate)
	} else {
		fmt.Fprintln(w, "match rate  suppressed (the overlap is)")
	}
	if r.Role == api.RoleAdvertiser {
		describeSegments(w, r.Segments, k)
	}
	if r.DPEpsilon != nil {
		fmt.Fprintf(w, "noise       differential privacy, epsilon %g: counts are noisy on purpose\n", *r.DPEpsilon)
	}
}

func describeSegments(w io.Writer, segs map[string]*int64, k int64) {
	names := slices.Sorted(maps.Keys(segs))
	if len(names) == 0 {
		fmt.Fprintln(w, "segments    none declared")
		return
	}
	fmt.Fprintln(w, "segments")
	for _, name := range names {
		fmt.Fprintf(w, "  %-24s %s\n", name, releasedText(segs[name], k))
	}
}

// describeRows writes a run's row accounting, rejections by kind and
// reason, most frequent first.
func describeRows(w io.Writer, s flow.Summary) {
	fmt.Fprintf(w, "rows        %s read, %s uploaded (blinded), %s kept home\n",
		thousands(s.Rows.Read), thousands(s.Rows.Uploaded), thousands(s.Rows.Rejected))
	for _, kind := range []flow.RejectKind{flow.RejectConsent, flow.RejectIdentifier, flow.RejectDuplicate, flow.RejectCSV} {
		ofKind := maps.Clone(s.Rejected)
		maps.DeleteFunc(ofKind, func(reason string, _ int64) bool { return flow.KindOf(reason) != kind })
		var total int64
		for _, n := range ofKind {
			total += n
		}
		if total == 0 {
			continue
		}
		reasons := wording.ByCount(ofKind)
		fmt.Fprintf(w, "  %s excluded by %s:\n", thousands(total), kindNoun[kind])
		for _, reason := range reasons {
			fmt.Fprintf(w, "    %8s  %s\n", thousands(s.Rejected[reason]), reason)
		}
	}
}

var kindNoun = map[flow.RejectKind]string{
	flow.RejectConsent:    "consent",
	flow.RejectIdentifier: "invalid identifiers",
	flow.RejectDuplicate:  "repeated identifiers (each stays on its first row)",
	flow.RejectCSV:        "unreadable CSV rows",
}
