package flow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
)

// Resume errors.
var (
	// ErrKeyChanged is returned when the session key in the key store is
	// not the one the clean room's copy of our upload was made with (the
	// key file was replaced, restored from elsewhere or damaged). Going on
	// would re-blind the counterpart's set, or map activation records back
	// to rows, with another key: wrong results, or other people's rows in
	// activation.csv.
	ErrKeyChanged = errors.New("flow: the session key is not the one this session's upload was made with")
	// ErrResumeState is returned when the clean room already holds our
	// upload but the resume record that tells which key and rows it was
	// made from is missing, unreadable or from an older blindjoin, and the
	// clean room can no longer check what would be sent.
	ErrResumeState = errors.New("flow: this session's resume record cannot vouch for the key and input of the upload already made")
)

// resumeState is what the flow keeps next to the session key between runs:
// what the upload was made from (the key, the rows kept and the options
// that selected and encoded them) and how it was split into parts, so that
// a rerun resumes only an upload it would make identically, and says what
// changed when it would not; and, per leg, how far past the first part it
// lacks the clean room may hold parts, so that a rerun knows where to
// start (resumeFrom).
type resumeState struct {
	Version     int           `json:"version"`
	Key         string        `json:"key_fingerprint"`  // keyFingerprint of the session key
	Rows        string        `json:"rows_fingerprint"` // hex audience.fingerprint
	Records     int           `json:"records"`
	PartRecords int           `json:"part_records"`
	Options     uploadOptions `json:"options"`
	// BlindedAhead and ReblindedAhead bound, for the blinded and the
	// re-blinded leg, how many places past the first part it lacks the
	// clean room may hold a part: the largest Options.Parallel any run
	// sent the leg with, minus one (sendParts), raised and saved before a
	// run sends with a larger one. A record of a sequential blindjoin
	// lacks them: 0, which is right for one part at a time. They are not
	// upload options: the parts' bytes do not depend on them, so a rerun
	// may change --parallel freely.
	BlindedAhead   int `json:"blinded_ahead,omitempty"`
	ReblindedAhead int `json:"reblinded_ahead,omitempty"`
}

// resumeFrom is the part a leg resumes from when the clean room holds
// count of its parts and holds none more than ahead places past the first
// part it lacks.
//
// Why it is exact: let m be the first part the clean room lacks. It holds
// all of parts 0..m-1 and, past m, only parts m+1..m+ahead: count is at
// most m+ahead, so count-ahead <= m, and the run misses no part. It sends
// again at most ahead parts the clean room holds, which acknowledges each
// as before if its bytes are the same (the key, rows and split are those
// of the record) and refuses it as a conflict otherwise.
//
// Why ahead holds across runs: a run starts at or below m, so every part
// it sends past the new first missing part m' >= m lies within k-1
// places of m' (sendParts with k parts in flight), and the parts earlier
// runs left past m lay within ahead places of m <= m'. Hence the largest
// k-1 over the runs bounds them all, whatever order the runs came in.
func resumeFrom(count, ahead int) int { return max(0, count-ahead) }

// allowAhead raises a leg's bound in the record (BlindedAhead or
// ReblindedAhead, a field of r.state) to what sending with
// Options.Parallel parts in flight can leave, and saves the record before
// any part is sent that way.
func (r *runner) allowAhead(ahead *int) error {
	if r.opts.Parallel-1 <= *ahead {
		return nil
	}
	*ahead = r.opts.Parallel - 1
	return r.saveState(*r.state)
}

// stateVersion 2 added the key fingerprint and the options; a version 1
// record cannot vouch for the key.
const stateVersion = 2

// keyFingerprintLabel separates the key fingerprint from any other hash of
// the key.
const keyFingerprintLabel = "blindjoin-v1-key-fingerprint"

// keyFingerprint identifies a session key in the resume state:
// hex SHA-256(keyFingerprintLabel || key). The record stays on the party's
// machine next to the key file, and a hash of a 252-bit secret neither
// reveals the key nor lets anyone test a guess of it short of guessing the
// key itself.
func keyFingerprint(k *blind.Key) string {
	h := sha256.New()
	h.Write([]byte(keyFingerprintLabel))
	h.Write(k.Bytes())
	return hex.EncodeToString(h.Sum(nil))
}

// uploadOptions are the options that decide which rows are kept and the
// digest and attribute bits of each, hence the bytes uploaded: the input
// file, how it is read (delimiter, encoding), its identifier, consent and
// segments columns, the consent mapping, the segment naming, whether
// segments are left out, whether identifiers are pre-hashed, and the
// default phone region. The rest of the upload is
// the session key, the split into parts (PartRecords, kept in the state)
// and what the session itself fixes (match key, policy, segment names),
// which cannot change. They are recorded as given, to name what changed;
// none is a secret (file and column names, flags, a region code, a
// consent mapping's text or digest), and the record never leaves the
// machine. AcceptPolicyHash, Role, KeyDir, BatchSize, ActivationColumns
// and the polling options do not change the bytes.
type uploadOptions struct {
	Input          string `json:"input"` // absolute path
	IDColumn       string `json:"id_column"`
	ConsentColumn  string `json:"consent_column"`
	SegmentsColumn string `json:"segments_column"`
	Hashed         bool   `json:"hashed"`
	Region         string `json:"region"`
	Delimiter      string `json:"delimiter"` // empty: detected
	Encoding       string `json:"encoding"`
	ConsentMap     string `json:"consent_map"` // Options.ConsentMapID
	SegmentNames   string `json:"segment_names"`
	NoSegments     bool   `json:"no_segments"`
}

func (o Options) uploadOptions() uploadOptions {
	in, err := filepath.Abs(o.Input)
	if err != nil {
		in = o.Input
	}
	return uploadOptions{
		Input: in, IDColumn: o.Columns.ID, ConsentColumn: o.Columns.Consent, SegmentsColumn: o.Columns.Segments,
		Hashed: o.Hashed, Region: o.DefaultRegion,
		Delimiter: delimiterText(o.Format.Delimiter), Encoding: string(o.Format.Encoding),
		ConsentMap: o.ConsentMapID, SegmentNames: string(o.SegmentNames), NoSegments: o.NoSegments,
	}
}

// delimiterText records a delimiter; "" when it is detected.
func delimiterText(d rune) string {
	if d == 0 {
		return ""
	}
	return string(d)
}

// changedFrom lists the options of u that differ from those of before, as
// "the identifier column (--id-column) was \"email\", now \"user_email\"".
func (u uploadOptions) changedFrom(before uploadOptions) []string {
	var out []string
	add := func(what, flag, was, now string) {
		if was != now {
			out = append(out, fmt.Sprintf("%s (%s) was %q, now %q", what, flag, was, now))
		}
	}
	add("the input file", "--in", before.Input, u.Input)
	add("the identifier column", "--id-column", before.IDColumn, u.IDColumn)
	add("the consent column", "--consent-column", before.ConsentColumn, u.ConsentColumn)
	add("the segments column", "--segments-column", before.SegmentsColumn, u.SegmentsColumn)
	add("pre-hashed identifiers", "--hashed", strconv.FormatBool(before.Hashed), strconv.FormatBool(u.Hashed))
	add("the default phone region", "--region", before.Region, u.Region)
	add("the delimiter", "--delimiter", before.Delimiter, u.Delimiter)
	add("the encoding", "--encoding", before.Encoding, u.Encoding)
	add("the consent mapping", "--consent-map", before.ConsentMap, u.ConsentMap)
	add("the segment naming", "--segment-names", before.SegmentNames, u.SegmentNames)
	add("leaving segments out", "--no-segments", strconv.FormatBool(before.NoSegments), strconv.FormatBool(u.NoSegments))
	return out
}

// checkResume makes a run that finds some of our upload at the clean room
// go on only with what that upload was made from: the same session key
// (key nil: not needed any more), the same kept rows, hence the same
// input file and options. It returns the state to resume the upload from,
// or nil to upload from the first part, recording a new state.
//
// Without a usable state, the upload is sent again from the first part
// while the clean room still takes blinded parts: it acknowledges a
// re-sent part only if it is identical to the one it holds, which checks
// the key and the rows part by part. Past that point nothing could check
// them, and the run is refused. Once its set is complete, the advertiser's
// rows only feed the row counts of summary.json, so a changed input is a
// warning there; the media partner maps activation records back to its
// rows to the end, so for it a changed input is always refused.
func (r *runner) checkResume(ctx context.Context, s api.Session, a *audience, key *blind.Key) (*resumeState, error) {
	side := r.info.side(s)
	if side.BlindedParts == 0 && !side.BlindedComplete {
		return nil, nil // nothing of ours there yet: this run starts afresh
	}
	uploading := s.State == api.StateJoined || s.State == api.StateUploading
	st, why, err := r.loadState()
	if err != nil {
		return nil, err
	}
	if st == nil {
		if uploading || key == nil {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: the record in %s is %s. Finish the session with the blindjoin version and key store that started it, or start a new session", ErrResumeState, r.opts.KeyDir, why)
	}
	if key != nil && st.Key != keyFingerprint(key) {
		return nil, fmt.Errorf("%w: the key of session %s in %s does not have the fingerprint recorded when the upload started (the key file was replaced or damaged). Restore the original key file, or start a new session", ErrKeyChanged, s.ID, r.opts.KeyDir)
	}
	if st.Rows == a.fingerprintHex() && st.Records == a.len() {
		return st, nil
	}
	if !uploading && r.info.role == api.RoleAdvertiser {
		r.opts.Logger.WarnContext(ctx, "the input differs from the uploaded one; row counts describe the current file", "session", s.ID)
		return st, nil
	}
	what := "the input file changed since the upload started: the rows that may count are not the same"
	if changed := r.opts.uploadOptions().changedFrom(st.Options); len(changed) > 0 {
		what = "the rows that may count are not the same, and these options differ from the first run's: " + strings.Join(changed, "; ")
	}
	return nil, fmt.Errorf("%w: %s. Run again with the first run's input and options, or start a new session", ErrInputChanged, what)
}

// loadState returns the saved state, or nil and why there is none usable.
func (r *runner) loadState() (*resumeState, string, error) {
	data, err := keystore.ReadState(r.opts.KeyDir, r.opts.SessionID)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "missing", nil
	}
	if err != nil {
		return nil, "", err
	}
	var st resumeState
	if json.Unmarshal(data, &st) != nil {
		return nil, "unreadable", nil
	}
	if st.Version != stateVersion {
		return nil, "from another blindjoin version, which did not record the session key's fingerprint", nil
	}
	return &st, "", nil
}

// saveState records the state of an upload about to start.
func (r *runner) saveState(st resumeState) error {
	st.Version = stateVersion
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("flow: resume state: %w", err)
	}
	return keystore.WriteState(r.opts.KeyDir, r.opts.SessionID, data)
}

func (a *audience) fingerprintHex() string { return hex.EncodeToString(a.fingerprint[:]) }
