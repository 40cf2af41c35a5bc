package policy

import (
	"fmt"

	"github.com/blindjoin/blindjoin/protocol/wire"
)

// Evaluator applies a policy to the attribute bits of rows declared with one
// attribute list: bit i of a row's bits is attrs[i]. Bits beyond the list
// are ignored. It is immutable and safe for concurrent use.
type Evaluator struct {
	count      ruleMasks
	activation ruleMasks
	vendors    uint64   // 0 when the policy lists no vendors
	segments   []uint64 // segments[j] is the bit of segment j, 0 if undeclared
	keys       []uint64 // keys[i] is the presence bit of match key i; nil for one key
}

// ruleMasks is a purpose rule compiled to one mask per purpose: a purpose
// holds when the row has any bit of its mask.
type ruleMasks struct {
	all   bool
	masks []uint64
}

func (r ruleMasks) holds(bits uint64) bool {
	if r.all {
		for _, m := range r.masks {
			if bits&m == 0 {
				return false
			}
		}
		return len(r.masks) > 0
	}
	for _, m := range r.masks {
		if bits&m != 0 {
			return true
		}
	}
	return false
}

// NewEvaluator compiles p for rows declared with attrs. The list must be a
// valid wire attribute list that contains every attribute p.Attrs(0)
// returns; otherwise the error is a *MissingAttrError naming what is
// missing, or wraps ErrAttrs. Extra purpose attributes are allowed and
// ignored.
func NewEvaluator(p Policy, attrs []wire.Attr) (*Evaluator, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	h := wire.Header{Kind: wire.KindBlinded, Attrs: attrs}
	if err := h.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAttrs, err)
	}
	bit := make(map[wire.Attr]uint64, len(attrs))
	for i, a := range attrs {
		bit[a] = 1 << i
	}
	var missing []wire.Attr
	for _, a := range p.policyAttrs() {
		if bit[a] == 0 {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingAttrError{Missing: missing}
	}

	e := &Evaluator{
		count:      compileRule(p.CountPurposes, bit, true),
		activation: compileRule(p.ActivationPurposes, bit, false),
	}
	if len(p.VendorIDs) > 0 {
		e.vendors = bit[wire.Attr{Kind: wire.AttrVendors}]
	}
	for _, a := range p.keyAttrs() {
		if bit[a] == 0 {
			return nil, &MissingAttrError{Missing: []wire.Attr{a}}
		}
		e.keys = append(e.keys, bit[a])
	}
	for _, a := range attrs {
		if a.Kind == wire.AttrSegment {
			for len(e.segments) <= int(a.Value) {
				e.segments = append(e.segments, 0)
			}
			e.segments[a.Value] = bit[a]
		}
	}
	return e, nil
}

// compileRule builds the masks of r; withLI adds the legitimate-interest
// bit of purposes where TCF 2.2 allows that basis.
func compileRule(r Rule, bit map[wire.Attr]uint64, withLI bool) ruleMasks {
	c := ruleMasks{all: len(r.AllOf) > 0}
	for _, p := range r.purposes() {
		m := bit[wire.Attr{Kind: wire.AttrPurposeConsent, Value: uint8(p)}]
		if withLI && liAllowed(p) {
			m |= bit[wire.Attr{Kind: wire.AttrPurposeLI, Value: uint8(p)}]
		}
		c.masks = append(c.masks, m)
	}
	return c
}

// Counts reports whether a row may count in the overlap: its count rule
// holds, by consent or legitimate interest, and, if the policy lists
// vendors, its vendors bit is set.
func (e *Evaluator) Counts(bits uint64) bool {
	return e.count.holds(bits) && (e.vendors == 0 || bits&e.vendors != 0)
}

// Activates reports whether a matched row may be released for activation:
// it counts, and its activation rule holds by consent alone.
func (e *Evaluator) Activates(bits uint64) bool {
	return e.Counts(bits) && e.activation.holds(bits)
}

// Segments returns the row's segment memberships as a mask over segment
// indexes (bit j: member of segment j). Undeclared segments are never set.
func (e *Evaluator) Segments(bits uint64) uint64 {
	var mask uint64
	for j, b := range e.segments {
		if bits&b != 0 {
			mask |= 1 << j
		}
	}
	return mask
}

// Keys returns which match keys the row carries, as a mask over the
// policy's match keys in their order (bit i: key i present); a one-key
// policy's rows always carry their one key.
func (e *Evaluator) Keys(bits uint64) uint8 {
	if e.keys == nil {
		return 1
	}
	var mask uint8
	for i, b := range e.keys {
		if bits&b != 0 {
			mask |= 1 << i
		}
	}
	return mask
}
