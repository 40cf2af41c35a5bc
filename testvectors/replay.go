package testvectors

import (
	"encoding/hex"
	"fmt"

	"github.com/blindjoin/blindjoin/protocol"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

// replayer replays one file and counts the vectors that passed.
type replayer struct {
	keyA, keyB *blind.Key
	checked    int
}

func (r *replayer) file(f *schema.File) error {
	if err := r.header(f); err != nil {
		return err
	}
	for i, rec := range f.Records {
		if err := r.record(fmt.Sprintf("records[%d]", i), &rec, advertiser); err != nil {
			return err
		}
		r.checked++
	}
	for i, e := range f.Encodings {
		if err := r.encoding(fmt.Sprintf("encodings[%d]", i), &e); err != nil {
			return err
		}
		r.checked++
	}
	for i, x := range f.Intersections {
		if err := r.intersection(fmt.Sprintf("intersections[%d]", i), &x); err != nil {
			return err
		}
	}
	for i, m := range f.MultiKey {
		if err := r.multiKey(fmt.Sprintf("multikey[%d]", i), &m); err != nil {
			return err
		}
	}
	return nil
}

func (r *replayer) header(f *schema.File) error {
	switch {
	case f.Description == "":
		return &Error{Field: "description", Reason: "missing"}
	case f.Suite != protocol.Suite:
		return &Error{Field: "suite", Reason: "not " + protocol.Suite}
	case f.DST != protocol.DST:
		return &Error{Field: "dst", Reason: "not the DST of protocol v1"}
	case len(f.Records) == 0 && len(f.Encodings) == 0 && len(f.Intersections) == 0 && len(f.MultiKey) == 0:
		return &Error{Reason: "no records, encodings, intersections or multi-key sessions"}
	}
	if len(f.Records) == 0 && len(f.Intersections) == 0 && len(f.MultiKey) == 0 {
		if f.KeyA != "" || f.KeyB != "" {
			return &Error{Field: "key_a", Reason: "keys given but nothing uses them"}
		}
		return nil
	}
	var err error
	if r.keyA, err = parseKey("key_a", f.KeyA); err != nil {
		return err
	}
	r.keyB, err = parseKey("key_b", f.KeyB)
	return err
}

func parseKey(field, s string) (*blind.Key, error) {
	b, ok := lowerHex(s)
	if !ok {
		return nil, &Error{Field: field, Reason: "not lower-case hex"}
	}
	k, err := blind.ParseKey(b)
	if err != nil {
		return nil, &Error{Field: field, Reason: err.Error()}
	}
	return k, nil
}

// lowerHex decodes s, which must be lower-case hex as the README requires:
// the computed values are compared as strings.
func lowerHex(s string) ([]byte, bool) {
	b, err := hex.DecodeString(s)
	return b, err == nil && hex.EncodeToString(b) == s
}

// intersection replays both sides of a join and its overlap: the number
// of distinct blinded_ab values present in both arrays. Each record's
// join_digest has been checked against its blinded_ab, so counting the join
// digests, as the clean room does, gives the same number.
func (r *replayer) intersection(path string, x *schema.Intersection) error {
	if x.Overlap == nil {
		return &Error{Vector: path, Field: "overlap", Reason: "missing"}
	}
	inA := map[string]bool{}
	for i, rec := range x.A {
		if err := r.joinRecord(fmt.Sprintf("%s.a[%d]", path, i), &rec, advertiser); err != nil {
			return err
		}
		inA[rec.BlindedAB] = true
	}
	both := map[string]bool{}
	for i, rec := range x.B {
		if err := r.joinRecord(fmt.Sprintf("%s.b[%d]", path, i), &rec, mediaPartner); err != nil {
			return err
		}
		if inA[rec.BlindedAB] {
			both[rec.BlindedAB] = true
		}
	}
	if len(both) != *x.Overlap {
		return &Error{Vector: path, Field: "overlap", Reason: fmt.Sprintf("the blinded_ab values give %d, the file says %d", len(both), *x.Overlap)}
	}
	r.checked++
	return nil
}

// joinRecord replays a record of an intersection, which must be valid.
func (r *replayer) joinRecord(path string, rec *schema.Record, s side) error {
	if rec.Expect != schema.ExpectValid {
		return &Error{Vector: path, Field: "expect", Reason: "an intersection holds valid records only"}
	}
	if err := r.record(path, rec, s); err != nil {
		return err
	}
	r.checked++
	return nil
}
