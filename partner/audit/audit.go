// Package audit checks a session's transcript as a party or an auditor
// can: its signature, that this party's uploads are recorded in it, that
// the results are committed to, and that a results file opens its
// commitment. It returns what it found; `blindjoin audit verify` writes it.
package audit

import (
	"bufio"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// Verify parses a transcript and checks its signature with key. When
// another key signed it, the error says which, and how to get its public
// key; when the same key id did, that the head was altered.
func Verify(data []byte, key ed25519.PublicKey) (transcript.Transcript, error) {
	t, err := transcript.ParseTranscript(data)
	if err == nil {
		err = transcript.Verify(t, key)
	}
	if errors.Is(err, transcript.ErrSignature) {
		err = signatureMismatch(err, t.Head.KeyID, key)
	}
	return t, err
}

func signatureMismatch(err error, signedBy string, given ed25519.PublicKey) error {
	givenID := transcript.KeyID(given)
	if signedBy != givenID {
		return fmt.Errorf("%w: the head was signed by key %s, and the key given (--server-key) is %s: ask the operator for the public key of %s (blindjoind keys show)", err, signedBy, givenID, signedBy)
	}
	return fmt.Errorf("%w: the head names the key given (%s) but its signature does not verify: the head was altered", err, givenID)
}

// Entry is one event of the timeline, its data as sorted key=value facts.
type Entry struct {
	Seq   uint64
	Time  time.Time
	Actor string
	Type  string
	Facts []string
}

// maxFactLen is the longest data value the timeline shows whole; digests
// and commitments are shortened.
const maxFactLen = 24

// Timeline returns one entry per event, in the transcript's order.
func Timeline(events []transcript.Event) []Entry {
	entries := make([]Entry, len(events))
	for i, e := range events {
		facts := make([]string, 0, len(e.Data))
		for _, k := range slices.Sorted(maps.Keys(e.Data)) {
			v := e.Data[k]
			if len(v) > maxFactLen {
				v = v[:maxFactLen/2] + "…"
			}
			facts = append(facts, k+"="+v)
		}
		entries[i] = Entry{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Type: e.Type, Facts: facts}
	}
	return entries
}

// Upload finds the part file at path, one of this party's, in t.
func Upload(path string, t transcript.Transcript) (transcript.Upload, error) {
	f, err := os.Open(path)
	if err != nil {
		return transcript.Upload{}, err
	}
	defer f.Close()
	return t.FindUpload(f)
}

// Commitment is what anyone can tell of the results without them.
type Commitment int

const (
	// Committed: the computed event commits to both parties' results.
	Committed Commitment = iota
	// NotComputed: the session has no results yet.
	NotComputed
	// LegacyDigests: a clean room older than result commitments recorded
	// unsalted digests. This is reported, not failed: the history is
	// signed and cannot be rewritten.
	LegacyDigests
)

// Commitments says whether t's computed event commits to the results.
func Commitments(t transcript.Transcript) (Commitment, error) {
	_, err := t.ResultCommitments()
	switch {
	case errors.Is(err, transcript.ErrNotComputed):
		return NotComputed, nil
	case errors.Is(err, transcript.ErrLegacyResultDigest):
		return LegacyDigests, nil
	case err != nil:
		return 0, err
	}
	return Committed, nil
}

// Opened is a results file that opens its commitment.
type Opened struct {
	Role   api.Role
	Legacy bool // matched an unsalted digest of a transcript from before commitments
}

// ResultsFile checks a party's results file, as the clean room released
// it, against the commitment of t for that party. It reads the file twice
// and holds one activation record at a time, so a media partner's file of
// millions of records costs little memory: the first pass reads what the
// results say and the size of their committed encoding (the commitment
// hashes its length before it), the second encodes them again into the
// commitment's hash.
func ResultsFile(path string, t transcript.Transcript) (Opened, error) {
	f, err := os.Open(path)
	if err != nil {
		return Opened{}, err
	}
	defer f.Close()
	res, size, err := committedSize(f)
	if err != nil {
		return Opened{}, err
	}
	if res.SessionID != t.SessionID {
		return Opened{}, fmt.Errorf("these are the results of session %q, the transcript is of session %s", res.SessionID, t.SessionID)
	}
	if res.Role != api.RoleAdvertiser && res.Role != api.RoleMediaPartner {
		return Opened{}, fmt.Errorf("these results are for role %q; only the advertiser's and the media partner's are committed to", res.Role)
	}
	nonce, err := hex.DecodeString(res.ResultNonce)
	if err != nil {
		return Opened{}, errors.New("result_nonce is not hex")
	}
	if err := t.CheckResultFrom(string(res.Role), nonce, size, func(w io.Writer) error { return writeCommitted(f, res, w) }); err != nil {
		return Opened{}, err
	}
	return Opened{Role: res.Role, Legacy: len(nonce) == 0}, nil
}

// errNotResults wraps what keeps a file from being read as results.
var errNotResults = errors.New("not the results JSON the clean room releases (results.json of `blindjoin match`)")

// readResults reads the results in f from its start, handing each
// activation record to each. Unknown fields are refused: a field the
// commitment does not cover must not pass unnoticed.
func readResults(f io.ReadSeeker, each func(api.ActivationRecord) error) (api.Results, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return api.Results{}, err
	}
	res, err := api.ReadResults(bufio.NewReaderSize(f, 64<<10), each)
	if errors.Is(err, api.ErrResultsJSON) {
		return res, fmt.Errorf("%w: %w", errNotResults, err)
	}
	return res, err
}

// committedSize reads the results in f, without their records, and the
// size of their committed encoding (api.Results.CommittedJSON): the
// encoding without records, and each record as encoding/json writes it,
// with the commas between them.
func committedSize(f io.ReadSeeker) (api.Results, int64, error) {
	var size, records int64
	res, err := readResults(f, func(rec api.ActivationRecord) error {
		b, err := json.Marshal(rec)
		size += int64(len(b))
		records++
		return err
	})
	if err != nil {
		return res, 0, err
	}
	head, err := res.CommittedJSON() // an empty list, or null, for the records
	if err != nil {
		return res, 0, err
	}
	return res, size + max(records-1, 0) + int64(len(head)), nil
}

// writeCommitted writes the committed encoding of the results in f, res
// being what committedSize read of them, reading f again for the records.
func writeCommitted(f io.ReadSeeker, res api.Results, w io.Writer) error {
	var records iter.Seq2[api.ActivationRecord, error]
	if res.Activation != nil && res.Activation.Records != nil {
		records = api.RecordsFrom(func(emit func(api.ActivationRecord) error) error {
			_, err := readResults(f, emit)
			return err
		})
	}
	_, err := res.WriteCommittedJSON(w, records)
	return err
}
