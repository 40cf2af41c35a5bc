// Package report writes what a party reads in its terminal: a run's row
// accounting and released results, a session and its policy, a file's
// preflight and warnings. It is the text of blindjoin's commands, kept out
// of the binary so that it is one piece with one job; the words themselves
// (counts, suppressions, policy fields, waterfalls) are partner/wording's,
// shared with the web console. JSON output prints the API's types as they
// are; these functions are for people.
package report

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// Policy writes what a policy means for the parties' users, field
// by field, with the hash a media partner accepts.
func Policy(w io.Writer, p policy.Policy, indent string) {
	for _, f := range wording.Policy(p) {
		fmt.Fprintf(w, "%s%-20s %s\n", indent, f.Name, f.Meaning)
	}
}

// Session writes a session's parties, state, segments and uploads.
func Session(w io.Writer, s api.Session) {
	fmt.Fprintf(w, "session     %s\n", s.ID)
	fmt.Fprintf(w, "state       %s\n", s.State)
	fmt.Fprintf(w, "advertiser  %s\n", s.Advertiser)
	fmt.Fprintf(w, "partner     %s\n", s.Partner)
	if len(s.MatchKeys) > 1 {
		fmt.Fprintf(w, "match keys  %s (in this order)\n", strings.Join(s.MatchKeys, ", "))
	} else {
		fmt.Fprintf(w, "match key   %s\n", s.MatchKey)
	}
	fmt.Fprintf(w, "segments    %s\n", ListOrNone(s.Segments))
	fmt.Fprintf(w, "auditors    %s\n", ListOrNone(s.Auditors))
	fmt.Fprintf(w, "created     %s\n", s.CreatedAt.Local().Format(time.DateTime))
	if s.PurgeAfter != nil {
		fmt.Fprintf(w, "purge after %s\n", s.PurgeAfter.Local().Format(time.DateTime))
	}
	side := func(name string, p api.SideProgress) {
		fmt.Fprintf(w, "  %-13s blinded %s records in %d parts%s, re-blinded %s records in %d parts%s\n", name,
			wording.Thousands(int64(p.BlindedRecords)), p.BlindedParts, completeText(p.BlindedComplete),
			wording.Thousands(int64(p.ReblindedRecords)), p.ReblindedParts, completeText(p.ReblindedComplete))
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

func ListOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// Results writes what the clean room released to the caller.
func Results(w io.Writer, r api.Results, k int64) {
	fmt.Fprintf(w, "overlap     %s\n", wording.Released(r.Overlap, k))
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
		segments(w, r.Segments, k)
	}
	if r.DPEpsilon != nil {
		fmt.Fprintf(w, "noise       differential privacy, epsilon %g: counts are noisy on purpose\n", *r.DPEpsilon)
	}
}

func segments(w io.Writer, segs map[string]*int64, k int64) {
	names := slices.Sorted(maps.Keys(segs))
	if len(names) == 0 {
		fmt.Fprintln(w, "segments    none declared")
		return
	}
	fmt.Fprintln(w, "segments")
	for _, name := range names {
		fmt.Fprintf(w, "  %-24s %s\n", name, wording.Released(segs[name], k))
	}
}

// Rows writes a run's row accounting, rejections by kind and
// reason, most frequent first.
func Rows(w io.Writer, s flow.Summary) {
	fmt.Fprintf(w, "rows        %s read, %s uploaded (blinded), %s kept home\n",
		wording.Thousands(s.Rows.Read), wording.Thousands(s.Rows.Uploaded), wording.Thousands(s.Rows.Rejected))
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
		fmt.Fprintf(w, "  %s excluded by %s:\n", wording.Thousands(total), kindNoun[kind])
		for _, reason := range reasons {
			fmt.Fprintf(w, "    %8s  %s\n", wording.Thousands(s.Rejected[reason]), reason)
		}
	}
}

var kindNoun = map[flow.RejectKind]string{
	flow.RejectConsent:    "consent",
	flow.RejectIdentifier: "invalid identifiers",
	flow.RejectDuplicate:  "repeated identifiers (each stays on its first row)",
	flow.RejectCSV:        "unreadable CSV rows",
}

// Match writes what a run did and what the clean room released;
// k is the policy's threshold (0 if unknown).
func Match(w io.Writer, s flow.Summary, k int64, out string, took time.Duration) {
	fmt.Fprintf(w, "session     %s (%s, match key %s)\n", s.SessionID, s.Role, s.MatchKey)
	Rows(w, s)
	Results(w, api.Results{Role: s.Role, Overlap: s.Overlap, OverlapByKey: api.Rounds(s.OverlapByKey), MatchRate: s.MatchRate, Segments: s.Segments, DPEpsilon: s.DPEpsilon}, k)
	if s.ActivationRows != nil {
		fmt.Fprintf(w, "activation  %s rows in %s\n", wording.Thousands(*s.ActivationRows), filepath.Join(out, "activation.csv"))
	}
	fmt.Fprintf(w, "outputs     %s, %s, %s\n", filepath.Join(out, "summary.json"), filepath.Join(out, "rejects.csv"), filepath.Join(out, "results.json"))
	fmt.Fprintf(w, "took        %s\n", took.Round(100*time.Millisecond))
}

// UnknownSegments tells the advertiser that labels of its file were
// not sent because the session does not define them.
func UnknownSegments(w io.Writer, s flow.Summary) {
	if len(s.UnknownSegments) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(s.UnknownSegments))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s (%s rows)", n, wording.Thousands(s.UnknownSegments[n]))
	}
	fmt.Fprintf(w, "warning: labels the session does not define were not sent: %s.\n"+
		"A session's segments are fixed when it is created: declare them with `session create --segments` or `--segments-from FILE`.\n",
		strings.Join(parts, ", "))
}

// Warnings writes warnings, one "warning:" line each.
func Warnings(w io.Writer, ws []flow.Warning) {
	for _, warn := range ws {
		fmt.Fprintf(w, "warning: %s\n", warn.Message)
	}
}

// Check writes the would-be summary of a file read by check;
// found says the segments are those found in the file rather than the
// session's.
func Check(w io.Writer, file string, s flow.Summary, found bool) {
	fmt.Fprintf(w, "file        %s (read as the %s would for match key %s; nothing was sent)\n", file, s.Role, s.MatchKey)
	Rows(w, s)
	var invalid int64
	for reason, n := range s.Rejected {
		if flow.KindOf(reason) == flow.RejectIdentifier {
			invalid += n
		}
	}
	var unreadable int64
	for reason, n := range s.Rejected {
		if flow.KindOf(reason) == flow.RejectCSV {
			unreadable += n
		}
	}
	if len(s.Keys) == 0 {
		fmt.Fprintf(w, "%-11s %s valid, %s invalid\n", s.MatchKey, wording.Thousands(s.Rows.Read-unreadable-invalid), wording.Thousands(invalid))
	}
	for _, k := range s.Keys { // a multi-key session: each key on its own
		var bad int64
		for _, n := range k.Invalid {
			bad += n
		}
		fmt.Fprintf(w, "%-11s %s valid, %s invalid, %s duplicates\n", k.Key, wording.Thousands(k.Valid), wording.Thousands(bad), wording.Thousands(k.Duplicates))
	}
	if s.NonASCIIEmails > 0 {
		fmt.Fprintf(w, "non-ASCII   %s e-mail addresses have non-ASCII characters: NFC, then ASCII-only lower-casing (UID2); the other party must write them the same way\n", wording.Thousands(s.NonASCIIEmails))
	}
	if len(s.Consent) > 0 {
		fmt.Fprintf(w, "consent     %s\n", countList(s.Consent))
	}
	switch {
	case found && s.SegmentRows == nil:
	case found && len(s.UnknownSegments) == 0:
		fmt.Fprintln(w, "segments    none found")
	case found:
		// Only names: the other labels are values the warnings count
		// without quoting them.
		names := maps.Clone(s.UnknownSegments)
		maps.DeleteFunc(names, func(name string, _ int64) bool { return !policy.ValidSegmentName(name) })
		fmt.Fprintf(w, "segments    found (rows that may count): %s\n", countList(names))
	case s.SegmentRows != nil:
		fmt.Fprintf(w, "segments    %s rows that may count carry a segment of the session\n", wording.Thousands(*s.SegmentRows))
	}
}

// countList writes counts by name, largest first: "Oui 4,000, Non 1,000".
func countList(m map[string]int64) string {
	names := wording.ByCount(m)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %s", n, wording.Thousands(m[n]))
	}
	return strings.Join(parts, ", ")
}
