package testvectors

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"

	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

// side is the party that uploads a record. It fixes the order of the two
// keys and the JSON keys of the blinded and double-blinded values.
type side struct {
	mediaPartner bool
	once, twice  string
}

var (
	advertiser   = side{once: "blinded_a", twice: "blinded_ab"}
	mediaPartner = side{mediaPartner: true, once: "blinded_b", twice: "blinded_ba"}
)

// keys returns the uploading party's key, then the counterpart's.
func (r *replayer) keys(s side) (first, second *blind.Key) {
	if s.mediaPartner {
		return r.keyB, r.keyA
	}
	return r.keyA, r.keyB
}

type field struct{ key, value string }

// computed returns a record's computed values by JSON key.
func computed(rec *schema.Record) []field {
	return []field{
		{"normalized", rec.Normalized}, {"sha256", rec.SHA256}, {"element", rec.Element},
		{"blinded_a", rec.BlindedA}, {"blinded_ab", rec.BlindedAB},
		{"blinded_b", rec.BlindedB}, {"blinded_ba", rec.BlindedBA}, {"join_digest", rec.JoinDigest},
	}
}

// checkPresence requires exactly the computed values named in want: a
// valid record has those of its side, an invalid one none.
func checkPresence(rec *schema.Record, want []string, fail func(field, reason string) error) error {
	for _, f := range computed(rec) {
		switch wanted := slices.Contains(want, f.key); {
		case wanted && f.value == "":
			return fail(f.key, "missing")
		case !wanted && f.value != "":
			return fail(f.key, "not expected in this record")
		}
	}
	return nil
}

func (r *replayer) record(path string, rec *schema.Record, s side) error {
	fail := func(field, reason string) error { return &Error{Vector: path, Field: field, Reason: reason} }
	typ, err := identifier.ParseType(rec.Type)
	if err != nil {
		return fail("type", "not email, phone, maid or sha256")
	}
	n := identifier.Normalizer{DefaultRegion: rec.Region}
	if err := n.Validate(); err != nil {
		return fail("region", "not a known region")
	}
	switch rec.Expect {
	case schema.ExpectInvalid:
		return invalidRecord(n, typ, rec, fail)
	case schema.ExpectValid:
	default:
		return fail("expect", `not "valid" or "invalid"`)
	}
	if rec.Reason != "" {
		return fail("reason", "only an invalid record has one")
	}
	want := []string{"normalized", "sha256", "element", s.once, s.twice, "join_digest"}
	if err := checkPresence(rec, want, fail); err != nil {
		return err
	}
	once, twice := rec.BlindedA, rec.BlindedAB
	if s.mediaPartner {
		once, twice = rec.BlindedB, rec.BlindedBA
	}

	d, norm, err := n.Digest(typ, rec.Input)
	var ie *identifier.Error
	if errors.As(err, &ie) {
		return fail("input", "rejected ("+ie.Reason+"), expected valid")
	} else if err != nil {
		return fail("input", err.Error())
	}
	if norm != rec.Normalized {
		return fail("normalized", "differs from the normalized input")
	}
	if typ != identifier.SHA256 && sha256.Sum256([]byte(norm)) != d {
		return fail("sha256", "digest is not SHA-256 of the normalized form") // protocol/identifier broken
	}
	if hex.EncodeToString(d[:]) != rec.SHA256 {
		return fail("sha256", "differs from the digest of the input")
	}
	element := blind.HashToElement(d[:])
	if hex.EncodeToString(element[:]) != rec.Element {
		return fail("element", "differs from hash_to_ristretto255(sha256, dst)")
	}
	first, second := r.keys(s)
	blinded := first.Blind((*[32]byte)(&d))
	if hex.EncodeToString(blinded[:]) != once {
		return fail(s.once, "differs from the first key times element")
	}
	double, err := second.Reblind(&blinded)
	if err != nil || hex.EncodeToString(double[:]) != twice {
		return fail(s.twice, "differs from the second key times "+s.once)
	}
	jd := blind.JoinDigest(&double)
	if hex.EncodeToString(jd[:]) != rec.JoinDigest {
		return fail("join_digest", "differs from the join digest of "+s.twice)
	}
	return nil
}

// invalidRecord checks that normalizing rec's input fails for the stated
// reason, and that the record carries no computed value.
func invalidRecord(n identifier.Normalizer, typ identifier.Type, rec *schema.Record, fail func(field, reason string) error) error {
	if err := checkPresence(rec, nil, fail); err != nil {
		return err
	}
	if rec.Reason == "" {
		return fail("reason", "missing")
	}
	_, _, err := n.Digest(typ, rec.Input)
	var ie *identifier.Error
	switch {
	case err == nil:
		return fail("input", "accepted, expected invalid")
	case !errors.As(err, &ie):
		return fail("input", err.Error())
	case ie.Reason != rec.Reason:
		// Reasons are constant phrases that never contain the input.
		return fail("reason", "input rejected as "+strconv.Quote(ie.Reason))
	}
	return nil
}
