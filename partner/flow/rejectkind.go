package flow

import "strings"

// RejectKind groups the reasons of Summary.Rejected for reports that say
// why rows stayed home: the file, the identifier, or consent.
type RejectKind string

// Reject kinds.
const (
	RejectCSV        RejectKind = "csv"        // a row the CSV reader could not read
	RejectIdentifier RejectKind = "identifier" // an identifier that does not normalize
	RejectDuplicate  RejectKind = "duplicate"  // an identifier an earlier row holds
	RejectConsent    RejectKind = "consent"    // no lawful basis under the policy, or an unreadable consent cell
)

// KindOf returns the kind of a Summary.Rejected key. The keys are built in
// classify.go and keys.go; an identifier reason always starts with
// "invalid " (or, for a multi-key row, is reasonNoKey or
// reasonNoValidKey), a duplicate with "duplicate " (or is reasonNoKeyLeft).
func KindOf(reason string) RejectKind {
	switch {
	case reason == reasonMalformedRow:
		return RejectCSV
	case strings.HasPrefix(reason, "invalid "), reason == reasonNoKey, reason == reasonNoValidKey:
		return RejectIdentifier
	case strings.HasPrefix(reason, reasonDuplicate), reason == reasonNoKeyLeft:
		return RejectDuplicate
	}
	return RejectConsent
}
