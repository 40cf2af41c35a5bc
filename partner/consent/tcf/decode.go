package tcf

import (
	"strconv"
	"strings"
)

// MaxLength bounds the TC strings Decode accepts, in bytes. The largest
// legitimate strings (four segments, bit fields over every GVL vendor) are a
// few kilobytes; the bound keeps a hostile cell from costing more.
const MaxLength = 64 << 10

// Segment types, the first three bits of every segment but the core.
const (
	segmentCore             = 0
	segmentDisclosedVendors = 1
	segmentAllowedVendors   = 2
	segmentPublisherTC      = 3
	segmentTypeBits         = 3
)

// Decode decodes a TCF v2 TC string. It accepts exactly what the package doc
// describes and reports anything else as a *DecodeError wrapping
// ErrMalformed. The string is not trimmed.
func Decode(s string) (*TCString, error) {
	if s == "" {
		return nil, malformed("TCString", "empty")
	}
	if len(s) > MaxLength {
		return nil, malformed("TCString", "longer than "+strconv.Itoa(MaxLength)+" bytes")
	}
	if strings.Count(s, ".") > 3 {
		return nil, malformed("TCString", "more than four segments")
	}
	segments := strings.Split(s, ".")
	t, err := decodeCore(segments[0])
	if err != nil {
		return nil, err
	}
	for i, seg := range segments[1:] {
		if err := t.decodeSegment(seg, i+2); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// decodeSegment decodes one optional segment (number n, counting the core as
// 1) into t, after checking that its type is known and not seen before.
func (t *TCString) decodeSegment(seg string, n int) error {
	section := "Segment" + strconv.Itoa(n)
	r, err := newBitReader(seg, section)
	if err != nil {
		return err
	}
	typ := r.int(segmentTypeBits, "SegmentType")
	switch typ {
	case segmentDisclosedVendors, segmentAllowedVendors:
		// The two segments share one layout and differ only in the field
		// they fill.
		dst, name := &t.DisclosedVendors, "DisclosedVendors"
		if typ == segmentAllowedVendors {
			dst, name = &t.AllowedVendors, "AllowedVendors"
		}
		if *dst != nil {
			return malformed(section+".SegmentType", name+" segment repeated")
		}
		r.section = name
		v := r.vendorSection()
		*dst = &v
	case segmentPublisherTC:
		if t.PublisherTC != nil {
			return malformed(section+".SegmentType", "PublisherTC segment repeated")
		}
		r.section = "PublisherTC"
		t.PublisherTC = r.publisherTC()
	case segmentCore:
		return malformed(section+".SegmentType", "core segment type after the first segment")
	default:
		return malformed(section+".SegmentType", "unknown segment type "+strconv.Itoa(typ))
	}
	return r.finish()
}
