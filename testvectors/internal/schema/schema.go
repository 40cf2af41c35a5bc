// Package schema defines the JSON form of blindjoin's own test vector files
// (testvectors/README.md documents every field) and decodes it strictly. The
// generator writes these types and the replay reads them, so the two cannot
// drift apart.
package schema

// File is one vector file. Every file has a description, the suite and its
// DST; it holds records, encodings or intersections (or several of them).
// KeyA and KeyB are required when it holds records or intersections.
type File struct {
	Description   string         `json:"description"`
	Suite         string         `json:"suite"`
	DST           string         `json:"dst"`
	KeyA          string         `json:"key_a,omitempty"`
	KeyB          string         `json:"key_b,omitempty"`
	Records       []Record       `json:"records,omitempty"`
	Encodings     []Encoding     `json:"encodings,omitempty"`
	Intersections []Intersection `json:"intersections,omitempty"`
	MultiKey      []MultiKey     `json:"multikey,omitempty"`
}

// Expect values of a Record.
const (
	ExpectValid   = "valid"
	ExpectInvalid = "invalid"
)

// Record is one identifier taken through protocol v1. An invalid record has
// only Comment, Type, Region, Input, Expect and Reason. A valid one has
// every value up to JoinDigest, and BlindedA (key_a * element) and BlindedAB
// (key_b * BlindedA) mean the same wherever the record is. A record of the
// media partner (an intersection's "b") also has the order its own
// identifiers actually take: BlindedB (key_b * element) and BlindedBA
// (key_a * BlindedB), equal to BlindedAB since scalar multiplication
// commutes. JoinDigest is always taken of BlindedAB.
type Record struct {
	Comment    string `json:"comment,omitempty"`
	Type       string `json:"type"`
	Region     string `json:"region,omitempty"`
	Input      string `json:"input"`
	Expect     string `json:"expect"`
	Reason     string `json:"reason,omitempty"`
	Normalized string `json:"normalized,omitempty"`
	SHA256     string `json:"sha256,omitempty"`
	Element    string `json:"element,omitempty"`
	BlindedA   string `json:"blinded_a,omitempty"`
	BlindedAB  string `json:"blinded_ab,omitempty"`
	BlindedB   string `json:"blinded_b,omitempty"`
	BlindedBA  string `json:"blinded_ba,omitempty"`
	JoinDigest string `json:"join_digest,omitempty"`
}

// Encoding is a byte string offered to the element decoder. Valid is a
// pointer so that a missing "valid" key is an error, not false.
type Encoding struct {
	Comment  string `json:"comment,omitempty"`
	Encoding string `json:"encoding"`
	Valid    *bool  `json:"valid"`
	Reason   string `json:"reason,omitempty"`
}

// Reasons an encoding is invalid, in the order the decoder tests them
// (README, "Element encodings").
const (
	ReasonLength       = "wrong length"
	ReasonIdentity     = "identity"
	ReasonNonCanonical = "non-canonical field encoding"
	ReasonNegative     = "negative field element"
	ReasonNonSquare    = "non-square x^2"
	ReasonNegativeXY   = "negative xy"
	ReasonZeroY        = "y = 0"
)

// Intersection is a two-party join: the advertiser's records A, the media
// partner's records B, and Overlap, the number of distinct BlindedAB values
// present in both arrays (equivalently distinct join digests). Overlap is a
// pointer so that a missing key is an error.
type Intersection struct {
	Comment string   `json:"comment,omitempty"`
	A       []Record `json:"a"`
	B       []Record `json:"b"`
	Overlap *int     `json:"overlap"`
}

// MultiKey is a multi-key session (protocol/SPEC.md section 11): the
// advertiser's rows A and the media partner's rows B, each with a record
// per match key it has, and the outcome of the waterfall under each
// setting of duplicates and conflicts.
type MultiKey struct {
	Comment   string     `json:"comment,omitempty"`
	MatchKeys []string   `json:"match_keys"`
	A         []KeyedRow `json:"a"`
	B         []KeyedRow `json:"b"`
	Outcomes  []Outcome  `json:"outcomes"`
}

// KeyedRow is one row of a party in a multi-key session: a valid record for
// each match key it has (the record's type is the key, or sha256 for a
// pre-hashed one), nil for the others.
type KeyedRow struct {
	Comment string  `json:"comment,omitempty"`
	Email   *Record `json:"email,omitempty"`
	Phone   *Record `json:"phone,omitempty"`
	MAID    *Record `json:"maid,omitempty"`
}

// Outcome is what the waterfall gives under one setting: the pairs of
// each round in key order, the overlap (their sum) and every link.
type Outcome struct {
	Duplicates string  `json:"duplicates"`
	Conflicts  string  `json:"conflicts"`
	Rounds     []Round `json:"rounds"`
	Overlap    *int    `json:"overlap"`
	Links      []Link  `json:"links"`
}

// Round is the pairs linked on one key.
type Round struct {
	Key   string `json:"key"`
	Pairs *int   `json:"pairs"`
}

// Link is one linked pair: row A of the advertiser, row B of the media
// partner (0-based), and the key that linked them.
type Link struct {
	A   *int   `json:"a"`
	B   *int   `json:"b"`
	Key string `json:"key"`
}
