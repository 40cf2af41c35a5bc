package synth

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/identifier"
)

// People and their identifiers.
//
// Person u owns two identifiers: identity 2u, the personal one (a personal
// mailbox, a mobile number, a phone's advertising ID) and identity 2u+1,
// a second one (a work address, a work phone, a tablet). Matching is per
// identifier (DESIGN.md section 1): the two are never merged, so a person
// known by a work address on one side and a personal one on the other is
// not a match.
//
// Email addresses and phone numbers embed a number that is a bijection of
// their identity (numbering below), so two identities never normalize to
// the same value whatever names they draw; a MAID is 122 random bits.
// Names, formats and domains come from the keyed streams, so both sides
// derive the same identifier for an identity.

// identities derives identifiers from identity numbers. Each generator
// works on its own clone.
type identities struct {
	key      identifier.Type
	person   *keyed // names, by person
	ident    *keyed // everything else, by identity
	emailNum numbering
	phoneNum numbering
}

// numbering is the bijection n -> (n*mul + add) mod mod on [0, mod), mul
// being coprime with mod (a power of ten), so distinct identities get
// distinct, scattered numbers.
type numbering struct{ mul, add, mod uint64 }

func newNumbering(r *rand.Rand, mod uint64) numbering {
	mul := r.Uint64N(mod)
	for mul%2 == 0 || mul%5 == 0 {
		mul = r.Uint64N(mod)
	}
	return numbering{mul: mul, add: r.Uint64N(mod), mod: mod}
}

func (n numbering) of(id int) uint64 { return (uint64(id)*n.mul + n.add) % n.mod }

// phoneDigits is the width of the number embedded in phone numbers: every
// identity of MaxRows-sized sides fits.
const phoneDigits = 8

func newIdentities(seed uint64, key identifier.Type, maxIdentity int) *identities {
	r := newStream(seed, "numbering")
	// Email numbers are as short as the dataset allows (at least four
	// digits), so that addresses look like addresses.
	mod := uint64(10_000)
	for mod <= uint64(maxIdentity) {
		mod *= 10
	}
	return &identities{
		key:      key,
		person:   newKeyed(seed, "person"),
		ident:    newKeyed(seed, "identity"),
		emailNum: newNumbering(r, mod),
		phoneNum: newNumbering(r, 1e8),
	}
}

func (ids *identities) clone() *identities {
	c := *ids
	c.person, c.ident = ids.person.clone(), ids.ident.clone()
	return &c
}

// name returns the first and last name of person u.
func (ids *identities) name(u int) (first, last string) {
	r := ids.person.at(u)
	return oneOf(r, firstNames), oneOf(r, lastNames)
}

// address is an email identifier as its owner types it: a lower-case
// local part with the dots of its format, and a domain.
type address struct{ local, domain string }

// canonical is the address as identifier.Normalize writes it: at gmail.com
// the dots of the local part are dropped.
func (a address) canonical() string {
	if a.domain == "gmail.com" {
		return strings.ReplaceAll(a.local, ".", "") + "@" + a.domain
	}
	return a.local + "@" + a.domain
}

// localFormats build a local part from a first name, a last name and the
// identity's number. None ends a name part with a digit, so the number is
// the local part's whole trailing run of digits and keeps it unique.
var localFormats = []choice[func(first, last, n string) string]{
	{func(f, l, n string) string { return f + "." + l + n }, 35},
	{func(f, l, n string) string { return f + l + n }, 15},
	{func(f, l, n string) string { return f[:1] + l + n }, 15},
	{func(f, l, n string) string { return f + "_" + l + n }, 10},
	{func(f, l, n string) string { return l + "." + f + n }, 10},
	{func(f, l, n string) string { return f + n }, 10},
	{func(f, l, n string) string { return f + "." + l + "." + n }, 5},
}

var workFormats = []choice[func(first, last, n string) string]{
	{func(f, l, n string) string { return f + "." + l + n }, 70},
	{func(f, l, n string) string { return f[:1] + "." + l + n }, 20},
	{func(f, l, n string) string { return f[:1] + l + n }, 10},
}

// address returns the email identifier of identity id.
func (ids *identities) address(id int) address {
	first, last := ids.name(id / 2)
	n := strconv.FormatUint(ids.emailNum.of(id), 10)
	r := ids.ident.at(id)
	if id%2 == 1 {
		return address{pick(r, workFormats)(first, last, n), oneOf(r, workDomains)}
	}
	return address{pick(r, localFormats)(first, last, n), pick(r, consumerDomains)}
}

// mobilePrefixes are E.164 mobile prefixes; each is followed by 8
// digits, 11 to 13 digits in all, and every such number is a valid mobile
// number in libphonenumber's metadata (the normalizer refuses others) but
// for frenchMobile's.
var mobilePrefixes = []choice[string]{
	{frenchMobile, 45}, {"+49151", 5}, {"+49160", 4}, {"+49176", 4},
	{"+4475", 12}, {"+346", 10}, {"+3933", 10}, {"+43664", 5}, {"+3069", 5},
}

// France's mobile numbers are 6 or 7 and 8 digits, but not all of them:
// 0639 and 0690-0697 belong to the overseas departments, 070-072 are not
// assigned. A French number is "+336" and the 8 digits when that is valid,
// else "+337" and the same digits (valid for every digits "+336" refuses,
// which start with 3 or 9), so distinct digits still give distinct numbers.
const (
	frenchMobile      = "+336"
	frenchMobileOther = "+337"
)

// phone returns the E.164 identifier of identity id.
func (ids *identities) phone(id int) string {
	prefix := pick(ids.ident.at(id), mobilePrefixes)
	digits := strconv.FormatUint(ids.phoneNum.of(id)+1e8, 10)[1:] // zero-padded
	if prefix == frenchMobile {
		if _, err := (identifier.Normalizer{}).Normalize(identifier.Phone, prefix+digits); err != nil {
			prefix = frenchMobileOther
		}
	}
	return prefix + digits
}

// maid returns the advertising ID of identity id: a random (version 4)
// UUID in canonical lower case. 122 random bits make a collision
// negligible at any size this package allows.
func (ids *identities) maid(id int) string {
	r := ids.ident.at(id)
	hi, lo := r.Uint64(), r.Uint64()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // variant 10
	const hex = "0123456789abcdef"
	var b [36]byte
	pos := 0
	for i := range 32 {
		if i == 8 || i == 12 || i == 16 || i == 20 {
			b[pos] = '-'
			pos++
		}
		word, shift := hi, uint(60-4*i)
		if i >= 16 {
			word, shift = lo, uint(60-4*(i-16))
		}
		b[pos] = hex[word>>shift&0xf]
		pos++
	}
	return string(b[:])
}

// canonical is identity id written as the media partner stores it:
// already normalized.
func (ids *identities) canonical(id int) string {
	switch ids.key {
	case identifier.Phone:
		return ids.phone(id)
	case identifier.MAID:
		return ids.maid(id)
	}
	return ids.address(id).canonical()
}

// typed is identity id written as a CRM export has it: the same
// identifier, still valid, but not normalized. r is the row stream.
func (ids *identities) typed(r *rand.Rand, id int) string {
	var s string
	switch ids.key {
	case identifier.Phone:
		s = ids.phone(id)
	case identifier.MAID:
		s = ids.maid(id)
		if chance(r, 0.4) { // iOS reports the IDFA in upper case
			s = strings.ToUpper(s)
		}
	default:
		s = typedAddress(r, ids.address(id))
	}
	return pad(r, s)
}

// typedAddress writes a as its owner might have typed it into a form.
func typedAddress(r *rand.Rand, a address) string {
	local := a.local
	if a.domain == "gmail.com" {
		if chance(r, 0.3) {
			local = strings.ReplaceAll(local, ".", "")
		}
		if chance(r, 0.12) {
			local += "+" + oneOf(r, emailTags)
		}
	}
	s := local + "@" + a.domain
	switch x := r.Float64(); {
	case x < 0.25:
		s = titleCase(s)
	case x < 0.32:
		s = strings.ToUpper(s)
	}
	return s
}

// titleCase upper-cases the first letter of every word of s.
func titleCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' && (i == 0 || strings.IndexByte(".@_-+", b[i-1]) >= 0) {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// pad surrounds a few identifiers with the blanks of a sloppy export.
func pad(r *rand.Rand, s string) string {
	switch x := r.Float64(); {
	case x < 0.04:
		return " " + s
	case x < 0.08:
		return s + " "
	case x < 0.09:
		return "\t" + s + "  "
	}
	return s
}
