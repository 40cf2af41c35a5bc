package api

import (
	"encoding/json"
	"time"
)

// PartContentType is the media type of protocol/wire parts in request and
// response bodies.
const PartContentType = "application/vnd.blindjoin.part"

// PartCountHeader tells a downloader how many parts the counterpart set has.
const PartCountHeader = "Blindjoin-Part-Count"

// Role is what a party is to the clean room; in JSON it is the bare string.
type Role string

// Roles a party can have.
const (
	RoleAdvertiser   Role = "advertiser"
	RoleMediaPartner Role = "media_partner"
	RoleAuditor      Role = "auditor"
)

// State is where a session is in its life; in JSON it is the bare string.
// The allowed moves between states are one table in cleanroom/session
// (states.go).
type State string

// Session states, in lifecycle order. A session ends in purged or expired.
const (
	StateCreated    State = "created"    // advertiser created it; partner has not joined
	StateJoined     State = "joined"     // partner accepted the policy
	StateUploading  State = "uploading"  // at least one blinded part received
	StateExchanging State = "exchanging" // both blinded sets complete; re-blinding under way
	StateComputed   State = "computed"   // results available
	StatePurged     State = "purged"     // blinded data deleted (DELETE or retention)
	StateExpired    State = "expired"    // never completed; data deleted
)

// Match keys a session can join on.
const (
	MatchKeyEmail = "email"
	MatchKeyPhone = "phone"
	MatchKeyMAID  = "maid"
)

// TokenRequest exchanges an API key for a short-lived access token.
type TokenRequest struct {
	APIKey string `json:"api_key"`
}

// TokenResponse is an OAuth2-style bearer token.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"` // always "Bearer"
	ExpiresIn   int    `json:"expires_in"` // seconds
}

// CreateSessionRequest is sent by an advertiser. Policy is a protocol/policy
// JSON document; omitted fields take the server's defaults. A multi-key
// session names its keys in the policy's "match_keys"; MatchKey is then
// empty or the first of them.
type CreateSessionRequest struct {
	Partner  string          `json:"partner"`
	MatchKey string          `json:"match_key,omitempty"`
	Policy   json.RawMessage `json:"policy,omitempty"`
	Segments []string        `json:"segments,omitempty"`
	Auditors []string        `json:"auditors,omitempty"`
}

// JoinRequest is sent by the named media partner; it accepts the policy whose
// canonical hash it names.
type JoinRequest struct {
	PolicyHash string `json:"policy_hash"`
}

// Session is what members see of a session.
type Session struct {
	ID         string `json:"id"`
	State      State  `json:"state"`
	Advertiser string `json:"advertiser"`
	Partner    string `json:"partner"`
	MatchKey   string `json:"match_key"` // the first of MatchKeys
	// MatchKeys are the keys the session matches on, in priority order
	// (the policy's match_keys, or the one MatchKey).
	MatchKeys  []string        `json:"match_keys"`
	Policy     json.RawMessage `json:"policy"` // canonical policy JSON
	PolicyHash string          `json:"policy_hash"`
	Segments   []string        `json:"segments"`
	Auditors   []string        `json:"auditors"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	// PurgeAfter is when retention deletes the blinded data (set once computed).
	PurgeAfter *time.Time `json:"purge_after,omitempty"`
	Uploads    Uploads    `json:"uploads"`
}

// Uploads reports each side's progress, keyed by role.
type Uploads struct {
	Advertiser   SideProgress `json:"advertiser"`
	MediaPartner SideProgress `json:"media_partner"`
}

// SideProgress counts what one party has sent so far.
type SideProgress struct {
	BlindedParts      int    `json:"blinded_parts"`
	BlindedRecords    uint64 `json:"blinded_records"`
	BlindedComplete   bool   `json:"blinded_complete"`
	ReblindedParts    int    `json:"reblinded_parts"`
	ReblindedRecords  uint64 `json:"reblinded_records"`
	ReblindedComplete bool   `json:"reblinded_complete"`
	// CounterpartParts is the number of parts of the counterpart set the
	// clean room has prepared for this party: 0 until its relay job ran,
	// once the session is exchanging. A party downloads the counterpart
	// set once it is not 0 (before, the download answers 503). Servers
	// older than the relay job do not send it: the party tool of this
	// version needs a clean room of this version.
	CounterpartParts int `json:"counterpart_parts"`
}

// SessionList is the body of GET /v1/sessions.
type SessionList struct {
	Sessions []Session `json:"sessions"`
}

// PartReceipt acknowledges one uploaded part. Uploading the same part again
// returns the same receipt (parts are idempotent).
type PartReceipt struct {
	Part     uint32 `json:"part"`
	Records  uint64 `json:"records"`
	Digest   string `json:"digest"` // hex SHA-256 of the part, as in the transcript
	Final    bool   `json:"final"`
	Complete bool   `json:"complete"` // every part of this set has arrived
	State    State  `json:"state"`    // session state after this part
}

// Results is what the policy releases to the calling party. A count below
// the policy's k (after noise, if any) is null, never a number.
type Results struct {
	SessionID string `json:"session_id"`
	Role      Role   `json:"role"`
	// Overlap counts linked pairs of rows (one row of each party, each row
	// linked at most once) among rows allowed to count.
	Overlap *int64 `json:"overlap"`
	// OverlapByKey is the pairs each round of the waterfall linked, in the
	// session's key order; null unless every round is releasable; absent
	// from results released before multi-key sessions, so that their
	// commitments still verify.
	OverlapByKey OverlapRounds `json:"overlap_by_key,omitzero"`
	// MatchRate is the overlap over each party's counted rows, formatted with
	// the policy's granularity (e.g. "37%", ">85%"); null when suppressed.
	MatchRate MatchRates `json:"match_rate"`
	// Segments maps each advertiser segment name to its overlap count, or
	// null when suppressed.
	Segments map[string]*int64 `json:"segments"`
	// Noise tells whether differential-privacy noise was added (and with
	// which total epsilon).
	DPEpsilon *float64 `json:"dp_epsilon,omitempty"`
	// Activation is present only for the media partner.
	Activation *Activation `json:"activation,omitempty"`
	ComputedAt time.Time   `json:"computed_at"`
	// ResultNonce (64 hex) opens the commitment to these results in the
	// transcript's computed event (protocol/transcript.CommitResult over
	// CommittedJSON). Only the results' owner receives it, so only the
	// owner can check the commitment; results computed before
	// commitments existed have none.
	ResultNonce string `json:"result_nonce,omitempty"`
}

// CommittedJSON is the encoding of r that its transcript commitment
// covers: r as encoding/json writes it, without result_nonce.
func (r Results) CommittedJSON() ([]byte, error) {
	r.ResultNonce = ""
	return json.Marshal(r)
}

// OverlapRounds is overlap_by_key, which has three forms: absent (the zero
// value: results from before multi-key sessions), null (Released true,
// Rounds nil: a round was below k) and the list of rounds. A results
// commitment covers the JSON as encoding/json writes it, so the three must
// read back as they were written.
type OverlapRounds struct {
	Released bool
	Rounds   []KeyPairs
}

// Rounds is the OverlapRounds of released rounds, or of null for nil.
func Rounds(r []KeyPairs) OverlapRounds { return OverlapRounds{Released: true, Rounds: r} }

func (o OverlapRounds) MarshalJSON() ([]byte, error) {
	if o.Rounds == nil {
		return []byte("null"), nil
	}
	return json.Marshal(o.Rounds)
}

// UnmarshalJSON is called for null too (encoding/json calls an Unmarshaler
// with null), which then reads as released null rather than absent.
func (o *OverlapRounds) UnmarshalJSON(b []byte) error {
	*o = OverlapRounds{Released: true}
	if string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, &o.Rounds)
}

// KeyPairs is the pairs one round of the waterfall linked on one key.
type KeyPairs struct {
	Key   string `json:"key"`
	Pairs int64  `json:"pairs"`
}

// MatchRates holds one formatted rate per party.
type MatchRates struct {
	Advertiser   *string `json:"advertiser"`
	MediaPartner *string `json:"media_partner"`
}

// Activation lists the media partner's own matched records released for
// targeting. Record is the index of the record in the partner's uploaded
// blinded set (the part's first index plus the position in the part), which
// the partner maps back to its rows; Segments index into Activation.Segments.
type Activation struct {
	Segments []string           `json:"segments"`
	Records  []ActivationRecord `json:"records"`
}

// ActivationRecord is one released row of the media partner.
type ActivationRecord struct {
	Record   uint64 `json:"record"`
	Segments []int  `json:"segments"`
}

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries a stable machine-readable code and a human message that
// never includes keys, tokens, identifiers or internal details.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Stable error codes.
const (
	CodeBadRequest      = "bad_request"              // 400 malformed request
	CodeInvalidPart     = "invalid_part"             // 400 wire part failed to decode
	CodeInvalidElement  = "invalid_element"          // 400 an element is not a valid group element
	CodeUnauthenticated = "unauthenticated"          // 401
	CodeForbidden       = "forbidden"                // 403 role may not do this
	CodeNotFound        = "not_found"                // 404 (also for sessions the caller is not a member of)
	CodeWrongState      = "wrong_state"              // 409
	CodeConflict        = "conflict"                 // 409 e.g. a part re-sent with different content
	CodeTooLarge        = "payload_too_large"        // 413
	CodePolicyViolation = "policy_violation"         // 422
	CodeTooFewRows      = "too_few_rows"             // 422 set below min_rows
	CodeDuplicate       = "duplicate_element"        // 422 a blinded set holds an element twice
	CodeBudgetExhausted = "privacy_budget_exhausted" // 422
	CodeRateLimited     = "rate_limited"             // 429
	CodeInternal        = "internal"                 // 500
	CodeUnavailable     = "unavailable"              // 503
)
