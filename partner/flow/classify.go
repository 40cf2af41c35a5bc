package flow

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/partner/consent"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// reject is why a row stays home. key groups rows in summary.json; detail,
// when set, is added in rejects.csv. Neither ever quotes a cell.
type reject struct {
	key    string
	detail string
}

func (r reject) String() string {
	if r.detail == "" {
		return r.key
	}
	return r.key + ": " + r.detail
}

// Reject keys that are not identifier errors.
const (
	reasonMalformedRow = "malformed CSV row"
	reasonDuplicate    = "duplicate " // followed by the match key: "duplicate email"
	reasonBadConsent   = "unreadable consent cell (no consent assumed)"
	reasonUnmapped     = "consent value not in the consent mapping (no consent assumed)"
	reasonVendors      = "no consent for the policy's vendors"
)

// Bounds on what the classifier remembers.
const (
	maxConsentCache      = 4096
	maxUnknownSegments   = 100
	otherUnknownSegments = "(other names)" // counts the names past the bound
)

// classifier turns a CSV row into a digest and attribute bits, or a
// reject.
type classifier struct {
	info        *sessionInfo
	norm        identifier.Normalizer
	segBit      map[string]uint // segment name -> attribute bit
	segMask     uint64          // the bits of segBit
	vendorBit   uint64          // the vendors attribute's bit, 0 if none
	countReason string

	// consents caches the bits of recent consent cells: files repeat a
	// handful of TC strings, and decoding one costs more than hashing an
	// identifier. Bounded: once full it stops growing.
	consents map[string]consentResult
	unknown  map[string]int64 // unknown segment names (advertiser)

	mapping *consent.Mapping // nil: TC strings and purpose lists
	naming  SegmentNaming
	stats   readStats
}

type consentResult struct {
	bits  uint64
	rej   *reject
	kind  string // the consent breakdown's key (readStats.consent)
	notTC bool   // the cell is too short for a TC string (consent.ErrNotTCString)
}

// readStats is what reading learns about the file beyond kept and
// rejected rows: the would-be summary's extra counts, and what the
// warnings (warnings.go) are drawn from. Counts only, never a cell.
type readStats struct {
	nonASCIIEmails int64            // rows whose e-mail has non-ASCII characters
	consent        map[string]int64 // rows past the identifier checks, by kind of consent cell
	notTCString    int64            // consent cells too short for a TC string
	labelled       int64            // readable rows with at least one label in the segments column
	withSegment    int64            // kept rows with at least one of the session's segments
	region         identifier.RegionGuesser
}

// Kinds of consent cell in the consent breakdown; with a mapping, the
// mapped value itself (the user's configuration, not a cell) is the key.
const (
	consentEmpty      = "empty"
	consentTCString   = "TC string"
	consentList       = "purpose list"
	consentUnreadable = "unreadable"
	consentUnmapped   = "not in the mapping"
)

func newClassifier(info *sessionInfo, opts Options) *classifier {
	c := &classifier{
		info:        info,
		norm:        identifier.Normalizer{DefaultRegion: opts.DefaultRegion},
		mapping:     opts.ConsentMap,
		naming:      opts.SegmentNames,
		stats:       readStats{consent: map[string]int64{}},
		segBit:      map[string]uint{},
		countReason: countReason(info.pol.CountPurposes),
		consents:    map[string]consentResult{},
		unknown:     map[string]int64{},
	}
	for i, a := range info.attrs {
		switch a.Kind {
		case wire.AttrSegment:
			if int(a.Value) < len(info.segments) {
				c.segBit[info.segments[a.Value]] = uint(i)
				c.segMask |= 1 << i
			}
		case wire.AttrVendors:
			c.vendorBit = 1 << i
		}
	}
	return c
}

// countReason words the count rule for rows that fail it, e.g. "no lawful
// basis for counting (purposes 7/9)".
func countReason(r policy.Rule) string {
	list, sep := r.AnyOf, "/"
	if len(r.AllOf) > 0 {
		list, sep = r.AllOf, "+"
	}
	ps := make([]string, len(list))
	for i, p := range list {
		ps[i] = strconv.Itoa(p)
	}
	noun := "purposes "
	if len(ps) == 1 {
		noun = "purpose "
	}
	return "no lawful basis for counting (" + noun + strings.Join(ps, sep) + ")"
}

// classify returns the digest of row's identifier, or why it is
// invalid. Whether an earlier row holds the same identifier is known only
// once the whole file is read (dupFinder), and so is whether the row's
// consent and segments count (rowConsent).
func (c *classifier) classify(row csvin.Row) ([32]byte, *reject) {
	c.countLabels(row)
	d, normalized, err := c.norm.Digest(c.info.matchKey, row.ID)
	if c.info.matchKey == identifier.Phone {
		if err != nil {
			c.stats.region.Rejected(row.ID)
		} else {
			c.stats.region.Accepted(normalized)
		}
	}
	if err != nil {
		if ie, ok := errors.AsType[*identifier.Error](err); ok {
			return d, &reject{key: "invalid " + string(ie.Type) + ": " + ie.Reason}
		}
		return d, &reject{key: "invalid identifier"}
	}
	if c.info.matchKey == identifier.Email && identifier.NonASCII(normalized) {
		c.stats.nonASCIIEmails++
	}
	return d, nil
}

// countLabels counts the rows whose segments cell holds a label, for the
// "no labels" warning, whatever becomes of the row: called once per row by
// the one-key and the multi-key reading alike.
func (c *classifier) countLabels(row csvin.Row) {
	if len(row.Segments) > 0 {
		c.stats.labelled++
	}
}

// consentAndSegments returns the attribute bits of row's consent and
// segments, or why its consent keeps it home, and counts them.
func (c *classifier) consentAndSegments(row csvin.Row) (uint64, *reject) {
	rc := c.rowConsent(row)
	return c.count(&rc)
}

// rowConsent is what a row's consent and segments cells give: its
// attribute bits, or why its consent keeps it home, and what the read's
// statistics count for it (count), which a one-key row adds only if it is
// not a duplicate.
type rowConsent struct {
	bits    uint64
	rej     *reject
	kind    string   // the consent breakdown's key
	notTC   bool     // the cell is too short for a TC string
	unknown []string // names of the row's labels that are not the session's segments
}

// rowConsent reads row's consent and segments cells, counting nothing.
func (c *classifier) rowConsent(row csvin.Row) rowConsent {
	res := c.consent(row.Consent)
	rc := rowConsent{bits: res.bits, rej: res.rej, kind: res.kind, notTC: res.notTC}
	if res.rej != nil {
		return rc
	}
	for _, label := range row.Segments {
		name := c.naming.name(label)
		if bit, ok := c.segBit[name]; ok {
			rc.bits |= 1 << bit
		} else {
			rc.unknown = append(rc.unknown, name)
		}
	}
	return rc
}

// count adds a row's consent and segments to the read's statistics, and
// returns its bits or reject.
func (c *classifier) count(rc *rowConsent) (uint64, *reject) {
	c.stats.consent[rc.kind]++
	if rc.notTC {
		c.stats.notTCString++
	}
	if rc.rej != nil {
		return 0, rc.rej
	}
	for _, name := range rc.unknown {
		c.unknownSegment(name)
	}
	if rc.bits&c.segMask != 0 {
		c.stats.withSegment++
	}
	return rc.bits, nil
}

// duplicateReject is the reject of a row whose identifier row first
// holds. The clean room refuses a set that holds one person twice (its
// thresholds count people; SECURITY.md), so the first row keeps the
// identifier, whatever its consent says, and later rows stay home: a
// later row with more consent does not override an earlier refusal. Rows
// are never merged, so the first row's segments are the person's
// segments.
func (c *classifier) duplicateReject(first uint32) *reject {
	return &reject{
		key:    reasonDuplicate + string(c.info.matchKey),
		detail: "same " + string(c.info.matchKey) + " as row " + strconv.FormatUint(uint64(first), 10),
	}
}

// consent derives the attribute bits of a consent cell, and rejects the
// cells with which the row may not count.
func (c *classifier) consent(cell string) consentResult {
	if res, ok := c.consents[cell]; ok {
		return res
	}
	res := c.evalConsent(cell)
	if len(c.consents) < maxConsentCache {
		c.consents[strings.Clone(cell)] = res // the cell pins its CSV record
	}
	return res
}

func (c *classifier) evalConsent(cell string) consentResult {
	facts, kind, err := c.facts(cell)
	if err != nil {
		detail := strings.TrimPrefix(err.Error(), "consent: ")
		return consentResult{rej: &reject{key: reasonBadConsent, detail: detail}, kind: kind, notTC: errors.Is(err, consent.ErrNotTCString)}
	}
	if kind == consentUnmapped {
		return consentResult{rej: &reject{key: reasonUnmapped}, kind: kind}
	}
	res := c.consentBits(facts)
	res.kind = kind
	return res
}

// facts reads a consent cell with the mapping, or as a TC string or a
// purpose list, and says which kind of cell it was. A cell the mapping
// lacks is the kind consentUnmapped; an error is an unreadable cell.
func (c *classifier) facts(cell string) (consent.Facts, string, error) {
	if c.mapping != nil {
		f, err := c.mapping.ParseCell(cell)
		switch {
		case err != nil:
			return f, consentUnmapped, nil
		case cell == "":
			return f, consentEmpty, nil
		}
		return f, cell, nil // a value of the mapping: the user's own words
	}
	f, err := consent.ParseCell(cell)
	switch {
	case err != nil:
		return f, consentUnreadable, err
	case cell == "":
		return f, consentEmpty, nil
	case consent.IsPurposeList(cell):
		return f, consentList, nil
	}
	return f, consentTCString, nil
}

// consentBits derives the attribute bits of facts, and rejects the facts
// with which the row may not count.
func (c *classifier) consentBits(facts consent.Facts) consentResult {
	var bits uint64
	for i, a := range c.info.attrs {
		var set bool
		switch a.Kind {
		case wire.AttrPurposeConsent:
			set = facts.PurposeConsent(int(a.Value))
		case wire.AttrPurposeLI:
			set = facts.PurposeLI(int(a.Value))
		case wire.AttrVendors:
			set = facts.VendorsConsented(c.info.pol.VendorIDs)
		}
		if set {
			bits |= 1 << i
		}
	}
	if !c.info.eval.Counts(bits) {
		if c.vendorBit != 0 && bits&c.vendorBit == 0 && c.info.eval.Counts(bits|c.vendorBit) {
			return consentResult{rej: &reject{key: reasonVendors}}
		}
		return consentResult{rej: &reject{key: c.countReason}}
	}
	return consentResult{bits: bits}
}

// unknownSegment counts a segment name the session does not define.
func (c *classifier) unknownSegment(name string) {
	if _, ok := c.unknown[name]; !ok && len(c.unknown) >= maxUnknownSegments {
		name = otherUnknownSegments
	} else if !ok {
		name = strings.Clone(name)
	}
	c.unknown[name]++
}

// rowNumber converts a csvin row number to the uint32 the flow keeps.
func rowNumber(n int) (uint32, error) {
	if n <= 0 || n > 1<<32-1 {
		return 0, fmt.Errorf("flow: row %d: more rows than the flow can number", n)
	}
	return uint32(n), nil
}
