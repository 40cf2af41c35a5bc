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

// side is the party that holds a record: the advertiser in "records" and an
// intersection's "a", the media partner in an intersection's "b".
type side int

const (
	advertiser side = iota
	mediaPartner
)

// Computed values by side. blinded_a and blinded_ab mean the same on both
// sides, so a replay can compare them across sides; the media partner's
// records add the order its own identifiers actually take.
var (
	advertiserValues   = []string{"normalized", "sha256", "element", "blinded_a", "blinded_ab", "join_digest"}
	mediaPartnerValues = append(slices.Clone(advertiserValues), "blinded_b", "blinded_ba")
)

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

// blinding is one order in which the two keys meet an element: the
// uploader's key first, then the counterpart's on the decoded upload.
type blinding struct {
	once, twice   string // JSON keys
	first, second *blind.Key
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
	want := advertiserValues
	if s == mediaPartner {
		want = mediaPartnerValues
	}
	if err := checkPresence(rec, want, fail); err != nil {
		return err
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
	double, err := checkBlinding((*[32]byte)(&d), blinding{"blinded_a", "blinded_ab", r.keyA, r.keyB}, rec.BlindedA, rec.BlindedAB, fail)
	if err != nil {
		return err
	}
	if s == mediaPartner {
		if _, err := checkBlinding((*[32]byte)(&d), blinding{"blinded_b", "blinded_ba", r.keyB, r.keyA}, rec.BlindedB, rec.BlindedBA, fail); err != nil {
			return err
		}
		// Both values replayed, so this fails only if the two orders of
		// blinding do not meet: the property the whole join rests on.
		if rec.BlindedBA != rec.BlindedAB {
			return fail("blinded_ba", "differs from blinded_ab")
		}
	}
	jd := blind.JoinDigest(&double)
	if hex.EncodeToString(jd[:]) != rec.JoinDigest {
		return fail("join_digest", "differs from the join digest of blinded_ab")
	}
	return nil
}

// checkBlinding replays one order of blinding of the digest d against the
// record's once and twice values, and returns the double-blinded element.
// The second key is applied to the upload as received: decoded from bytes.
func checkBlinding(d *[32]byte, b blinding, once, twice string, fail func(field, reason string) error) (blind.Element, error) {
	blinded := b.first.Blind(d)
	if hex.EncodeToString(blinded[:]) != once {
		return blind.Element{}, fail(b.once, "differs from the first key times element")
	}
	double, err := b.second.Reblind(&blinded)
	if err != nil || hex.EncodeToString(double[:]) != twice {
		return blind.Element{}, fail(b.twice, "differs from the second key times "+b.once)
	}
	return double, nil
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
