package main

import (
	"fmt"

	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

// intersection is a join between the advertiser's file (a) and the media
// partner's (b). overlap is what the design of the sets intends; gen checks
// that the computed join agrees before writing it.
type intersection struct {
	comment string
	a, b    []entry
	overlap int
}

var intersections = []intersection{{
	comment: "An advertiser CRM extract (a) and a publisher's logged-in audience (b). " +
		"Four people are in both: the gmail.com address (written two ways in a, once in b), " +
		"user@example.com (an address in a, pre-hashed by UID2 in hex and in base64 in b), " +
		"a French mobile number (E.164 in a, national format in b) and an IDFA (upper case in a, lower case in b). " +
		"Near misses do not match: googlemail.com against gmail.com, a +work address against the plain one outside gmail.com. " +
		"Duplicates count once: overlap is the number of distinct blinded_ab values present in both arrays.",
	a: []entry{
		{typ: identifier.Email, input: "Jane.Saoirse@gmail.com", comment: "match"},
		{typ: identifier.Email, input: "JaneSaoirse+Work@gmail.com", comment: "match: same gmail.com mailbox as the row above"},
		{typ: identifier.Email, input: "User@Example.com", comment: "match"},
		{typ: identifier.Phone, input: "+33612345678", comment: "match"},
		{typ: identifier.MAID, input: "6D92078A-8246-4BA4-AE5B-76104861E7DC", comment: "match"},
		{typ: identifier.Email, input: "jane.doe@googlemail.com", comment: "no match: googlemail.com is not normalized to gmail.com"},
		{typ: identifier.Email, input: "janesaoirse+work@example.com", comment: "no match: a work persona stays a separate identifier"},
		{typ: identifier.Phone, input: "+14155550100", comment: "no match"},
	},
	b: []entry{
		{typ: identifier.Email, input: " janesaoirse@GMAIL.com ", comment: "match"},
		{typ: identifier.SHA256, input: uid2User, comment: "match: UID2's hash of user@example.com"},
		{typ: identifier.Phone, region: "FR", input: "06 12 34 56 78", comment: "match"},
		{typ: identifier.MAID, input: "6d92078a-8246-4ba4-ae5b-76104861e7dc", comment: "match"},
		{typ: identifier.Email, input: "janedoe@gmail.com", comment: "no match"},
		{typ: identifier.Email, input: "JaneSaoirse@example.com", comment: "no match"},
		{typ: identifier.MAID, input: "97987bca-ae59-4c7d-94ba-ee4f19ab8c21", comment: "no match"},
		{typ: identifier.SHA256, input: "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=", comment: "match: the same hash in base64, a duplicate row of b"},
	},
	overlap: 4,
}}

func intersectionFile(k *keys) (*schema.File, error) {
	f := &schema.File{
		Description: "Two-party intersections as the clean room computes them. Every record, in a and in b, has " +
			"blinded_a = key_a * element and blinded_ab = key_b * blinded_a, and join_digest taken of blinded_ab. " +
			"Records in b are the media partner's, which uploads its own identifiers first: they also have " +
			"blinded_b = key_b * element (its upload) and blinded_ba = key_a * blinded_b (the advertiser's re-blinding), " +
			"equal to blinded_ab. overlap is the number of distinct blinded_ab values present in both arrays " +
			"(equivalently distinct join digests). Keys as in records.json. See README.md.",
		KeyA: k.aHex,
		KeyB: k.bHex,
	}
	for i, in := range intersections {
		a, err := buildRecords(k, in.a, sideA)
		if err != nil {
			return nil, err
		}
		b, err := buildRecords(k, in.b, sideB)
		if err != nil {
			return nil, err
		}
		x := schema.Intersection{Comment: in.comment, A: a, B: b}
		if got := overlap(x.A, x.B); got != in.overlap {
			return nil, fmt.Errorf("intersection %d: computed overlap %d, designed %d", i, got, in.overlap)
		}
		x.Overlap = &in.overlap
		f.Intersections = append(f.Intersections, x)
	}
	return f, nil
}

// overlap counts the distinct blinded_ab values present on both sides.
func overlap(a, b []schema.Record) int {
	inA := map[string]bool{}
	for _, r := range a {
		inA[r.BlindedAB] = true
	}
	both := map[string]bool{}
	for _, r := range b {
		if inA[r.BlindedAB] {
			both[r.BlindedAB] = true
		}
	}
	return len(both)
}
