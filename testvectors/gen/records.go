package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/group"

	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/testvectors/internal/schema"
)

// entry is one identifier as a party would have it in its file.
type entry struct {
	typ     identifier.Type
	region  string // default region for national phone formats
	input   string
	comment string
	// published is the SHA-256 (hex) UID2 publishes for this example, copied
	// from its documentation (see protocol/identifier/uid2_test.go); gen
	// refuses to write vectors that disagree with it.
	published string
	// reason, when set, makes this an invalid identifier: the
	// identifier.Error reason that normalizing input must give.
	reason string
}

// UID2 "Normalization and Encoding" published hashes.
const (
	uid2User        = "b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"
	uid2MyEmail     = "16c18d336f0b250f0e2d907452ceb9658a74ecdae8bc94864c23122a72cc27a5"
	uid2MyDotEmail  = "e22b53bc6f871274f3a62ab37a3caed7214fc14d676215a96a242fcfada1c81f"
	uid2JaneSaoirse = "d6670e7a92007f1b5ff785f1fc81e53aa6d3d7bd06bdf5c473cdc7286c284b6d"
	uid2JaneDot     = "b196432c7b989a2ca91c83799957c515da53e6c13abf20b78fea94f117e90bf8"
	uid2JaneWork    = "28aaee4815230cd3b4ebd88c515226550666e91ac019929e3adac3f66c288180"
	uid2JaneGmail   = "92ee26057ed9dea2535d6c8b141d48373932476599196e00352254896db5888f"
	uid2Phone       = "10e6f0b47054a83359477dcb35231db6de5c69fb1816e1a6b98e192de9e5b9ee"
)

const uid2 = "UID2 published example"

var recordEntries = []entry{
	// Emails: every UID2 example with a published hash.
	{typ: identifier.Email, input: "user@example.com", comment: uid2, published: uid2User},
	{typ: identifier.Email, input: "MyEmail@example.com", comment: uid2 + ": upper case lowered", published: uid2MyEmail},
	{typ: identifier.Email, input: "MYEMAIL@example.com", comment: uid2 + ": upper case lowered", published: uid2MyEmail},
	{typ: identifier.Email, input: "My.Email@example.com", comment: uid2 + ": dots kept outside gmail.com", published: uid2MyDotEmail},
	{typ: identifier.Email, input: "JANESAOIRSE@example.com", comment: uid2, published: uid2JaneSaoirse},
	{typ: identifier.Email, input: "JaneSaoirse@example.com", comment: uid2, published: uid2JaneSaoirse},
	{typ: identifier.Email, input: "jane.saoirse@example.com", comment: uid2, published: uid2JaneDot},
	{typ: identifier.Email, input: "Jane.Saoirse@example.com", comment: uid2, published: uid2JaneDot},
	{typ: identifier.Email, input: "JaneSaoirse+Work@example.com", comment: uid2 + ": plus tag kept outside gmail.com", published: uid2JaneWork},
	{typ: identifier.Email, input: "JANE.SAOIRSE@gmail.com", comment: uid2 + ": gmail.com dots removed", published: uid2JaneGmail},
	{typ: identifier.Email, input: "Jane.Saoirse@gmail.com", comment: uid2 + ": gmail.com dots removed", published: uid2JaneGmail},
	{typ: identifier.Email, input: "JaneSaoirse+Work@gmail.com", comment: uid2 + ": gmail.com plus tag dropped", published: uid2JaneGmail},
	{typ: identifier.Email, input: "JANESaoirse@gmail.com", comment: uid2, published: uid2JaneGmail},
	// Emails: messy exports.
	{typ: identifier.Email, input: " \tUser@Example.COM \r\n", comment: "surrounding white space trimmed, domain lowered", published: uid2User},
	{typ: identifier.Email, input: "\u00a0user@example.com\u00a0", comment: "no-break spaces (U+00A0) trimmed like any Unicode White_Space", published: uid2User},
	{typ: identifier.Email, input: "Jane.Doe+tag@GMail.com", comment: "gmail.com in any case: dots and plus tag removed"},
	{typ: identifier.Email, input: "a.b.c+d+e@gmail.com", comment: "gmail.com: everything from the first plus dropped"},
	{typ: identifier.Email, input: ".jane.doe.@gmail.com", comment: "gmail.com: leading and trailing dots removed too"},
	{typ: identifier.Email, input: "jane.doe+x@googlemail.com", comment: "googlemail.com is not gmail.com: nothing removed (as UID2)"},
	{typ: identifier.Email, input: "jane.doe@mail.gmail.com", comment: "a subdomain of gmail.com is not gmail.com"},
	{typ: identifier.Email, input: "JOS\u00c9@Ex\u00e4mple.DE", comment: "only A-Z are lowered: non-ASCII letters kept as they are (as UID2)"},
	{typ: identifier.Email, input: "JOSE\u0301@Exa\u0308mple.DE", comment: "decomposed accents (e + U+0301, a + U+0308): Unicode NFC first, so the same address and digest as the composed spelling"},
	{typ: identifier.Email, input: "O'Brien@example.ie", comment: "apostrophe is allowed in the local part"},
	{typ: identifier.Email, input: "Jean.Dupont@Orange.fr", comment: "dots kept outside gmail.com"},
	// Phones.
	{typ: identifier.Phone, input: "+12345678901", comment: uid2, published: uid2Phone},
	{typ: identifier.Phone, region: "US", input: "1 (234) 567-8901", comment: uid2 + ": US national format, read with default region US", published: uid2Phone},
	{typ: identifier.Phone, input: " +33612345678\t", comment: "E.164 with surrounding white space"},
	{typ: identifier.Phone, region: "FR", input: "06 12 34 56 78", comment: "French national format, read with default region FR"},
	{typ: identifier.Phone, input: "+6561234567", comment: "a Singapore number: 10 digits, the minimum"},
	{typ: identifier.Phone, input: "+431234567890555", comment: "an Austrian fixed line: 15 digits, the maximum"},
	{typ: identifier.Phone, input: "+33 6 12 34 56 78", comment: "international format with spaces: the country code is written, no region needed"},
	{typ: identifier.Phone, region: "FR", input: "0690 00 12 34", comment: "a Guadeloupe mobile written nationally in France: the territory shares France's numbering plan, so region FR reads it as +590"},
	// Mobile advertising IDs.
	{typ: identifier.MAID, input: "6D92078A-8246-4BA4-AE5B-76104861E7DC", comment: "IDFA as iOS prints it: lowered"},
	{typ: identifier.MAID, input: " 97987BCA-ae59-4C7D-94ba-EE4F19AB8C21\n", comment: "mixed case, trimmed"},
	{typ: identifier.MAID, input: "00000000-0000-0000-0000-000000000001", comment: "nearly zero is still an ID"},
	// Pre-hashed: the digest is the decoded value, not hashed again.
	{typ: identifier.SHA256, input: uid2User, comment: uid2 + " hash of user@example.com, hex", published: uid2User},
	{typ: identifier.SHA256, input: "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ=", comment: uid2 + " hash of user@example.com, base64", published: uid2User},
	{typ: identifier.SHA256, input: "92EE26057ED9DEA2535D6C8B141D48373932476599196E00352254896DB5888F", comment: "upper-case hex of UID2's janesaoirse@gmail.com hash", published: uid2JaneGmail},
	{typ: identifier.SHA256, input: "  ku4mBX7Z3qJTXWyLFB1INzkyR2WZGW4ANSJUiW21iI8=\r\n", comment: uid2 + " base64 of janesaoirse@gmail.com, trimmed", published: uid2JaneGmail},
	{typ: identifier.SHA256, input: "EObwtHBUqDNZR33LNSMdtt5cafsYFuGmuY4ZLenlue4=", comment: uid2 + " hash of +12345678901, base64", published: uid2Phone},

	// Invalid identifiers: reported, never guessed.
	{typ: identifier.Email, input: " \t ", reason: "empty", comment: "blank after trimming"},
	{typ: identifier.Email, input: "userexample.com", reason: "missing '@'"},
	{typ: identifier.Email, input: "a@b@example.com", reason: "more than one '@'"},
	{typ: identifier.Email, input: "us er@example.com", reason: "contains white space", comment: "inner white space is not trimmed"},
	{typ: identifier.Email, input: "jane\u200b@example.com", reason: "contains an invisible formatting character", comment: "zero-width space (U+200B) from a copy-paste"},
	{typ: identifier.Email, input: "<user@example.com>", reason: "character not allowed in local part", comment: "angle brackets of a mail header"},
	{typ: identifier.Email, input: "user@example", reason: "domain has no '.'"},
	{typ: identifier.Email, input: "user@gmail.com.", reason: "domain has an empty label"},
	{typ: identifier.Email, input: "+tag@gmail.com", reason: "local part empty after gmail.com normalization"},
	{typ: identifier.Phone, input: "06 12 34 56 78", reason: "not in E.164 form and no default region", comment: "a national number is never guessed into E.164"},
	{typ: identifier.Phone, input: "+123456789", reason: "fewer than 10 digits"},
	{typ: identifier.Phone, input: "+0123456789", reason: "country code starts with 0"},
	{typ: identifier.Phone, input: "+6512345678", reason: "not a valid number for its country", comment: "UID2's Singapore example in normalized form: E.164 syntax, but no such number (UID2 checks syntax only and would hash it)"},
	{typ: identifier.Phone, input: "+123456789012345", reason: "not a valid number for its country", comment: "E.164 syntax with 15 digits, but no such number: E.164 input is validated like national input"},
	{typ: identifier.MAID, input: "00000000-0000-0000-0000-000000000000", reason: "all-zero ID (ad tracking limited or refused)"},
	{typ: identifier.MAID, input: "6D92078A82464BA4AE5B76104861E7DC", reason: "not a hyphenated 8-4-4-4-12 UUID"},
	{typ: identifier.SHA256, input: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", reason: "SHA-256 of the empty string", comment: "what a blank identifier column hashes to"},
	{typ: identifier.SHA256, input: uid2User[:63], reason: "not 64 hex or 44 base64 characters"},
	{typ: identifier.SHA256, input: "0x" + uid2User[2:], reason: "non-hex character"},
	{typ: identifier.SHA256, input: "tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRR=", reason: "non-canonical base64", comment: "non-zero padding bits: one digest has one text form"},
}

func recordsFile(k *keys) (*schema.File, error) {
	f := &schema.File{
		Description: "Protocol v1 end to end for single identifiers of every type: normalization, SHA-256, " +
			"hash_to_ristretto255, blinding by the advertiser (key_a) and re-blinding by the media partner (key_b), " +
			"and the join digest; then identifiers that must be rejected, with the reason. " +
			"Keys: SHA-512 of the labels \"" + keyALabel + "\" and \"" + keyBLabel + "\" reduced modulo the group order. " +
			"See README.md.",
		KeyA: k.aHex,
		KeyB: k.bHex,
	}
	var err error
	if f.Records, err = buildRecords(k, recordEntries, sideA); err != nil {
		return nil, err
	}
	return f, nil
}

// side says which party holds a record: every record carries the
// advertiser's order of blinding (key_a, then key_b); a media partner's
// record also carries its own (key_b, then key_a).
type side int

const (
	sideA side = iota
	sideB
)

// buildRecords builds the record of each entry, all held by the same side.
func buildRecords(k *keys, entries []entry, s side) ([]schema.Record, error) {
	records := make([]schema.Record, len(entries))
	for i, e := range entries {
		var err error
		if records[i], err = buildRecord(k, e, s); err != nil {
			return nil, err
		}
	}
	return records, nil
}

func buildRecord(k *keys, e entry, s side) (schema.Record, error) {
	r := schema.Record{Comment: e.comment, Type: string(e.typ), Region: e.region, Input: e.input}
	d, norm, err := identifier.Normalizer{DefaultRegion: e.region}.Digest(e.typ, e.input)
	if e.reason != "" {
		var ie *identifier.Error
		if !errors.As(err, &ie) || ie.Reason != e.reason {
			return r, fmt.Errorf("%s %s: got %v, want reason %q", e.typ, quote(e.input), err, e.reason)
		}
		r.Expect, r.Reason = schema.ExpectInvalid, e.reason
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("%s %s: %w", e.typ, quote(e.input), err)
	}
	if e.published != "" && hex.EncodeToString(d[:]) != e.published {
		return r, fmt.Errorf("%s %s: digest differs from UID2's published hash", e.typ, quote(e.input))
	}
	p := hashToElement(d[:])
	a, ab, err := blindTwice(p, k.a, k.b)
	if err != nil {
		return r, fmt.Errorf("%s %s: %w", e.typ, quote(e.input), err)
	}
	r.Expect = schema.ExpectValid
	r.Normalized = norm
	r.SHA256 = hex.EncodeToString(d[:])
	r.Element = hex.EncodeToString(encode(p))
	r.BlindedA, r.BlindedAB = hex.EncodeToString(a), hex.EncodeToString(ab)
	if s == sideB {
		b, ba, err := blindTwice(p, k.b, k.a)
		if err != nil {
			return r, fmt.Errorf("%s %s: %w", e.typ, quote(e.input), err)
		}
		if !bytes.Equal(ba, ab) {
			return r, fmt.Errorf("%s %s: blinded_ba differs from blinded_ab", e.typ, quote(e.input))
		}
		r.BlindedB, r.BlindedBA = hex.EncodeToString(b), hex.EncodeToString(ba)
	}
	r.JoinDigest = hex.EncodeToString(joinDigest(ab))
	return r, nil
}

// blindTwice returns the encodings of first * p, the upload, and of second
// times that upload once decoded, as the counterpart receives it.
func blindTwice(p group.Element, first, second group.Scalar) (once, twice []byte, err error) {
	once = encode(mul(p, first))
	received, ok := decode(once)
	if !ok {
		return nil, nil, errors.New("blinded element does not decode")
	}
	return once, encode(mul(received, second)), nil
}
