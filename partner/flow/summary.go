package flow

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
)

// Summary is what a run reports, and what it writes to summary.json.
type Summary struct {
	SessionID  string   `json:"session_id"`
	Role       api.Role `json:"role"`
	MatchKey   string   `json:"match_key"`
	PolicyHash string   `json:"policy_hash"`

	Rows RowCounts `json:"rows"`
	// Rejected counts the rejected rows by reason (rejects.csv has each
	// row with its reason).
	Rejected map[string]int64 `json:"rejected_by_reason"`
	// UnknownSegments counts, per segment name the session does not
	// define, the rows that named it (advertiser). Those rows were kept
	// with their other segments.
	UnknownSegments map[string]int64 `json:"unknown_segments,omitempty"`
	// Consent counts the rows that passed the identifier checks by kind
	// of consent cell: "empty", "TC string", "purpose list", "unreadable",
	// or, with a consent mapping, the mapped value ("Oui") or "not in the
	// mapping".
	Consent map[string]int64 `json:"consent_cells,omitempty"`
	// NonASCIIEmails counts the valid e-mail addresses with non-ASCII
	// characters. They are normalized to NFC and lower-cased in ASCII only,
	// as UID2 specifies: the other party matches them only if it wrote
	// them the same way, so a large count is worth a look.
	NonASCIIEmails int64 `json:"non_ascii_emails,omitempty"`
	// SegmentRows (advertiser) counts the kept rows carrying at least one
	// of the session's segments.
	SegmentRows *int64 `json:"segment_rows,omitempty"`
	// SkippedParts is how many blinded parts this run did not send because
	// an earlier run had delivered them: the first ones, up to where a
	// resume must start (a few parts past a gap are sent again).
	SkippedParts int `json:"skipped_parts"`

	// Keys has, in a multi-key session, each match key's counts: rows
	// uploaded with it, rows that lost it as invalid or duplicate, and the
	// pairs linked on it (protocol/SPEC.md section 11).
	Keys []KeyCounts `json:"keys,omitempty"`

	// What the clean room released; a count below the policy's k is null.
	Overlap *int64 `json:"overlap"`
	// OverlapByKey is the pairs each round of the waterfall linked, in key
	// order; null unless every round reached k.
	OverlapByKey []api.KeyPairs    `json:"overlap_by_key"`
	MatchRate    api.MatchRates    `json:"match_rate"`
	Segments     map[string]*int64 `json:"segments"`
	DPEpsilon    *float64          `json:"dp_epsilon,omitempty"`
	// ActivationRows is the number of rows in activation.csv (media
	// partner only).
	ActivationRows *int64    `json:"activation_rows,omitempty"`
	ComputedAt     time.Time `json:"computed_at"`

	Phases []PhaseTime `json:"phases"`
}

// RowCounts accounts for every data row of the input: Read = Uploaded +
// Rejected.
type RowCounts struct {
	Read     int64 `json:"read"`
	Uploaded int64 `json:"uploaded"`
	Rejected int64 `json:"rejected"`
}

// PhaseTime is the wall time of one phase of the run.
type PhaseTime struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

const summaryFile = "summary.json"

// writeSummary writes summary.json.
func writeSummary(dir string, s *Summary) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("flow: %s: %w", summaryFile, err)
	}
	out, err := newAtomicFile(dir, summaryFile)
	if err != nil {
		return err
	}
	defer out.abort()
	out.Write(append(data, '\n'))
	return out.commit()
}
