package policy

import (
	"slices"
	"strconv"

	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Attrs returns the attribute list a party declares for its upload: consent
// for every purpose either rule names, legitimate interest for the count
// rule's purposes where TCF 2.2 allows it, the vendors bit if the policy
// lists vendors, then segments 0..segments-1 (the advertiser passes its
// segment count, the media partner 0), then for a multi-key policy one key
// presence bit per match key in the policy's order. The order is fixed:
// consents by purpose, legitimate interests by purpose, vendors, segments,
// keys.
//
// The default policy needs 7 bits: consent 1, 3, 4, 7, 9 and legitimate
// interest 7, 9. An error means the segments do not fit in wire.MaxAttrs.
func (p Policy) Attrs(segments int) ([]wire.Attr, error) {
	attrs := p.policyAttrs()
	if segments < 0 || segments > MaxSegments || len(attrs)+segments > wire.MaxAttrs {
		return nil, &Error{"", "too many segments for the attribute bits of a record"}
	}
	keys := p.keyAttrs()
	if len(attrs)+segments+len(keys) > wire.MaxAttrs {
		return nil, &Error{"", "too many segments for the attribute bits of a record"}
	}
	for i := range segments {
		attrs = append(attrs, wire.Attr{Kind: wire.AttrSegment, Value: uint8(i)})
	}
	return append(attrs, keys...), nil
}

// policyAttrs is Attrs without segments: what every party must declare.
func (p Policy) policyAttrs() []wire.Attr {
	consent := sortedSet(slices.Concat(p.CountPurposes.purposes(), p.ActivationPurposes.purposes()))
	var attrs []wire.Attr
	for _, pu := range consent {
		attrs = append(attrs, wire.Attr{Kind: wire.AttrPurposeConsent, Value: uint8(pu)})
	}
	for _, pu := range sortedSet(p.CountPurposes.purposes()) {
		if liAllowed(pu) {
			attrs = append(attrs, wire.Attr{Kind: wire.AttrPurposeLI, Value: uint8(pu)})
		}
	}
	if len(p.VendorIDs) > 0 {
		attrs = append(attrs, wire.Attr{Kind: wire.AttrVendors})
	}
	return attrs
}

// SegmentMask returns the segments released for activation as a bit mask
// over the session's segment indexes (bit i is sessionSegments[i]): all of
// them when ActivationSegments is empty. A name the session lacks is an
// *Error, never silently dropped.
func (p Policy) SegmentMask(sessionSegments []string) (uint64, error) {
	if len(sessionSegments) > MaxSegments {
		return 0, &Error{"", "session has more than 64 segments"}
	}
	if len(p.ActivationSegments) == 0 {
		return lowBits(len(sessionSegments)), nil
	}
	var mask uint64
	for i, name := range p.ActivationSegments {
		j := slices.Index(sessionSegments, name)
		if j < 0 {
			return 0, &Error{"activation_segments[" + strconv.Itoa(i) + "]", "is not a segment of the session"}
		}
		mask |= 1 << j
	}
	return mask, nil
}

// lowBits returns a mask of the n lowest bits, 0 <= n <= 64.
func lowBits(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<n - 1
}

// attrName names an attribute in error messages, e.g. "purpose-li 7".
func attrName(a wire.Attr) string {
	return a.Kind.String() + " " + strconv.Itoa(int(a.Value))
}
