package tcf

import (
	"slices"
	"strconv"
)

// Field widths shared by the vendor and restriction sections.
const (
	vendorIDBits   = 16
	numEntriesBits = 12
	maxPurposeID   = 24
)

// vendorSection decodes MaxVendorId, IsRangeEncoding and the bit field or the
// range entries that follow, as the core's vendor consent and legitimate
// interest sections and the DisclosedVendors and AllowedVendors segments
// encode them.
func (r *bitReader) vendorSection() VendorSet {
	maxID := r.int(vendorIDBits, "MaxVendorId")
	isRange := r.bool("IsRangeEncoding")
	if r.err != nil {
		return VendorSet{}
	}
	set := newVendorSet(maxID)
	if !isRange {
		r.bitField(&set)
		return set
	}
	n := r.int(numEntriesBits, "NumEntries")
	for range n {
		first, last := r.rangeEntry()
		if r.err != nil {
			break
		}
		if first > maxID {
			r.fail("StartOrOnlyVendorId", "vendor id above MaxVendorId")
			break
		}
		if last > maxID {
			r.fail("EndVendorId", "vendor id above MaxVendorId")
			break
		}
		set.addRange(first, last)
	}
	return set
}

// bitField reads set.max bits, the first for vendor 1, 64 at a time.
func (r *bitReader) bitField(set *VendorSet) {
	for i := range set.words {
		n := min(64, set.max-64*i)
		set.words[i] = uint64(r.flags(n, "BitField"))
	}
}

// rangeEntry reads IsARange, StartOrOnlyVendorId and, for a range,
// EndVendorId. It returns the inclusive range of ids, rejecting id 0 and an
// end below the start.
func (r *bitReader) rangeEntry() (first, last int) {
	isRange := r.bool("IsARange")
	first = r.int(vendorIDBits, "StartOrOnlyVendorId")
	last = first
	if isRange {
		last = r.int(vendorIDBits, "EndVendorId")
	}
	switch {
	case r.err != nil:
	case first == 0:
		r.fail("StartOrOnlyVendorId", "vendor id 0")
	case last < first:
		r.fail("EndVendorId", "range ends before it starts")
	}
	return first, last
}

// publisherRestrictions decodes NumPubRestrictions and its entries. Entries
// with the same purpose and type are merged into one vendor set, as
// @iabtcf/core merges them, which bounds memory by 24*3 sets.
func (r *bitReader) publisherRestrictions() []PublisherRestriction {
	n := r.int(numEntriesBits, "NumPubRestrictions")
	var out []PublisherRestriction
	for range n {
		purpose := r.int(6, "PurposeId")
		typ := RestrictionType(r.int(2, "RestrictionType"))
		entries := r.int(numEntriesBits, "NumEntries")
		switch {
		case r.err != nil:
		case purpose < 1 || purpose > maxPurposeID:
			r.fail("PurposeId", "purpose "+strconv.Itoa(purpose)+" outside 1-24")
		case typ > RequireLI:
			r.fail("RestrictionType", "undefined restriction type 3")
		}
		if r.err != nil {
			return nil
		}
		i := slices.IndexFunc(out, func(p PublisherRestriction) bool {
			return p.PurposeID == purpose && p.Type == typ
		})
		if i < 0 {
			out = append(out, PublisherRestriction{PurposeID: purpose, Type: typ})
			i = len(out) - 1
		}
		for range entries {
			first, last := r.rangeEntry()
			if r.err != nil {
				return nil
			}
			out[i].Vendors.addRange(first, last)
		}
	}
	slices.SortFunc(out, func(a, b PublisherRestriction) int {
		if a.PurposeID != b.PurposeID {
			return a.PurposeID - b.PurposeID
		}
		return int(a.Type - b.Type)
	})
	return out
}

// publisherTC decodes the publisher purposes transparency and consent segment
// after its segment type.
func (r *bitReader) publisherTC() *PublisherTC {
	p := &PublisherTC{
		PurposesConsent:        r.flags(24, "PubPurposesConsent"),
		PurposesLITransparency: r.flags(24, "PubPurposesLITransparency"),
		NumCustomPurposes:      r.int(6, "NumCustomPurposes"),
	}
	p.CustomPurposesConsent = r.flags(p.NumCustomPurposes, "CustomPurposesConsent")
	p.CustomPurposesLITransparency = r.flags(p.NumCustomPurposes, "CustomPurposesLITransparency")
	return p
}
