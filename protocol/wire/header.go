package wire

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/blindjoin/blindjoin/protocol"
)

// Format constants of protocol v1 (protocol/SPEC.md, "Constants").
const (
	// Magic opens every part.
	Magic = "BJP1"
	// Version is the only format version this package reads and writes.
	Version = 1
	// SuiteRistretto255SHA512 identifies protocol v1: ristretto255 with
	// hash_to_ristretto255 over expand_message_xmd(SHA-512) and the v1 DST.
	SuiteRistretto255SHA512 = 1

	// MaxPartSize bounds a part from the first magic byte to the last
	// trailer byte, so that an upload can be retried or resumed part by part.
	MaxPartSize = 64 << 20
	// MaxChunkRecords is the record count of every chunk but the last.
	MaxChunkRecords = 1 << 16
	// MaxAttrs is the largest number of attribute bits per record.
	MaxAttrs = 64
	// ElementSize is the size of a canonical ristretto255 encoding.
	ElementSize = protocol.ElementSize
	// JoinDigestSize is the size of a join digest (SPEC.md, "Join digests").
	JoinDigestSize = protocol.JoinDigestSize
)

// Byte offsets of the fixed header fields; SPEC.md has the same table.
const (
	offVersion      = 4
	offSuite        = 5
	offKind         = 6
	offFlags        = 7
	offSession      = 8
	offPart         = 24
	offFirst        = 28
	offNAttrs       = 36
	fixedHeaderSize = 37

	flagFinal = 0x01
	countSize = 4
	// tailSize is the end marker plus the trailer (total and SHA-256).
	tailSize = countSize + 8 + 32
	// maxFirst keeps First+records far from overflowing a uint64.
	maxFirst = 1<<63 - 1
)

// Kind says what the records of a part are.
type Kind uint8

const (
	// KindBlinded records are a blinded element followed by attribute bits.
	KindBlinded Kind = 1
	// KindElements records are bare elements (the server's relay of a set).
	KindElements Kind = 2
	// KindJoin records are 16-byte join digests.
	KindJoin Kind = 3
)

func (k Kind) valid() bool { return k >= KindBlinded && k <= KindJoin }

func (k Kind) String() string {
	switch k {
	case KindBlinded:
		return "blinded"
	case KindElements:
		return "elements"
	case KindJoin:
		return "join"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// AttrKind says what an attribute bit means (docs/ARCHITECTURE.md,
// "Attribute bits").
type AttrKind uint8

const (
	// AttrPurposeConsent: consent for TCF purpose Value (1..24).
	AttrPurposeConsent AttrKind = 1
	// AttrPurposeLI: legitimate interest for TCF purpose Value (1..24).
	AttrPurposeLI AttrKind = 2
	// AttrVendors: every vendor of the session policy has consent (Value 0).
	AttrVendors AttrKind = 3
	// AttrSegment: member of the session's segment number Value (0..63).
	AttrSegment AttrKind = 4
	// AttrKey: the record carries an element of match key Value (KeyEmail,
	// KeyPhone, KeyMAID). Declaring one makes the part keyed (SPEC.md
	// section 3.2): its records carry one element per set key bit.
	AttrKey AttrKind = 5
)

// Match key types, the values of AttrKey (SPEC.md section 4).
const (
	KeyEmail uint8 = 1
	KeyPhone uint8 = 2
	KeyMAID  uint8 = 3
)

func (k AttrKind) String() string {
	switch k {
	case AttrPurposeConsent:
		return "purpose-consent"
	case AttrPurposeLI:
		return "purpose-li"
	case AttrVendors:
		return "vendors"
	case AttrSegment:
		return "segment"
	case AttrKey:
		return "key"
	}
	return fmt.Sprintf("AttrKind(%d)", uint8(k))
}

// Attr declares the meaning of one attribute bit.
type Attr struct {
	Kind  AttrKind
	Value uint8
}

// valueOK reports whether v is in the value range of kind k.
func (k AttrKind) valueOK(v uint8) bool {
	switch k {
	case AttrPurposeConsent, AttrPurposeLI:
		return v >= 1 && v <= 24
	case AttrVendors:
		return v == 0
	case AttrSegment:
		return v <= 63
	case AttrKey:
		return v >= KeyEmail && v <= KeyMAID
	}
	return false
}

// Header is the decoded header of a part. Attrs[i] gives the meaning of
// attribute bit i of every record (KindBlinded only).
type Header struct {
	Kind    Kind
	Final   bool // last part of the set
	Session [16]byte
	Part    uint32 // 0-based part index
	First   uint64 // index within the set of this part's first record
	Attrs   []Attr
}

// Keyed reports whether the header declares match keys (AttrKey): its
// records then have the keyed layout of SPEC.md section 3.2, attribute
// bytes first, then one element per set key bit, and its chunks carry
// their size in bytes.
func (h *Header) Keyed() bool { return h.keyMask() != 0 }

// keyMask selects the attribute bits that are key presence bits.
func (h *Header) keyMask() uint64 {
	var m uint64
	for i, a := range h.Attrs {
		if a.Kind == AttrKey {
			m |= 1 << i
		}
	}
	return m
}

// attrBytes is the number of attribute bytes of a record.
func (h *Header) attrBytes() int { return (len(h.Attrs) + 7) / 8 }

// RecordSize is the size in bytes of one record, or 0 for an unknown kind.
// For a keyed header it is the largest record, the one with every key.
func (h *Header) RecordSize() int {
	switch h.Kind {
	case KindBlinded:
		return ElementSize*max(1, bits.OnesCount64(h.keyMask())) + h.attrBytes()
	case KindElements:
		return ElementSize
	case KindJoin:
		return JoinDigestSize
	}
	return 0
}

// size is the encoded size of the header.
func (h *Header) size() int { return fixedHeaderSize + 2*len(h.Attrs) }

// SplitRecord returns the attribute bits of a kind-blinded record of this
// part and its elements: one for a record of the v1 layout, one per set key
// bit (in the order of the key attributes) for a keyed one. rec must be a
// record that a Reader of this header returned.
func (h *Header) SplitRecord(rec []byte) (attrs uint64, elems []byte) {
	if h.Keyed() {
		n := h.attrBytes()
		return UnpackAttrs(rec[:n]), rec[n:]
	}
	return UnpackAttrs(rec[ElementSize:]), rec[:ElementSize]
}

// padMask selects the bits of a record's last attribute byte that lie
// beyond the declared attributes and must be zero (0 when there are none).
func (h *Header) padMask() byte {
	if h.Kind != KindBlinded || len(h.Attrs)%8 == 0 {
		return 0
	}
	return ^byte(1<<(len(h.Attrs)%8) - 1)
}

// Validate checks every rule SPEC.md sets on header fields.
func (h *Header) Validate() error {
	_, err := h.check()
	return err
}

// check is Validate that also returns the header byte offset of the field
// at fault, so that the Reader can report where a hostile header is wrong.
func (h *Header) check() (int, error) {
	if !h.Kind.valid() {
		return offKind, fmt.Errorf("%w %d", ErrKind, uint8(h.Kind))
	}
	// Every non-final part holds at least one record, so part p starts at
	// record p or later; this also catches part and first written swapped.
	if h.First < uint64(h.Part) || (h.Part == 0 && h.First != 0) {
		return offFirst, fmt.Errorf("%w: first record %d impossible for part %d", ErrHeader, h.First, h.Part)
	}
	if h.First > maxFirst {
		return offFirst, fmt.Errorf("%w: first record index too large", ErrHeader)
	}
	if len(h.Attrs) > MaxAttrs {
		return offNAttrs, fmt.Errorf("%w: %d attributes, at most %d", ErrHeader, len(h.Attrs), MaxAttrs)
	}
	if h.Kind != KindBlinded && len(h.Attrs) != 0 {
		return offNAttrs, fmt.Errorf("%w: %s parts carry no attributes", ErrHeader, h.Kind)
	}
	var seen [5]uint64 // one bit per (kind, value); values are < 64
	for i, a := range h.Attrs {
		off := fixedHeaderSize + 2*i
		if !a.Kind.valueOK(a.Value) {
			return off, fmt.Errorf("%w: attribute %d: invalid %s value %d", ErrHeader, i, a.Kind, a.Value)
		}
		bit := uint64(1) << a.Value
		if seen[a.Kind-1]&bit != 0 {
			return off, fmt.Errorf("%w: attribute %d: duplicate %s %d", ErrHeader, i, a.Kind, a.Value)
		}
		seen[a.Kind-1] |= bit
	}
	return 0, nil
}

// appendHeader appends the encoding of a valid header to dst.
func appendHeader(dst []byte, h *Header) []byte {
	dst = append(dst, Magic...)
	dst = append(dst, Version, SuiteRistretto255SHA512, byte(h.Kind))
	var flags byte
	if h.Final {
		flags |= flagFinal
	}
	dst = append(dst, flags)
	dst = append(dst, h.Session[:]...)
	dst = binary.BigEndian.AppendUint32(dst, h.Part)
	dst = binary.BigEndian.AppendUint64(dst, h.First)
	dst = append(dst, byte(len(h.Attrs)))
	for _, a := range h.Attrs {
		dst = append(dst, byte(a.Kind), a.Value)
	}
	return dst
}

// clone returns a copy of h that shares no memory with it.
func (h *Header) clone() Header {
	c := *h
	c.Attrs = append([]Attr(nil), h.Attrs...)
	return c
}

// MaxRecords is the number of records of a part with header h that fit in
// MaxPartSize, or 0 if h is invalid. A producer splits a larger set into
// parts of this many records (the last part holds the rest).
func MaxRecords(h Header) int {
	if h.Validate() != nil {
		return 0
	}
	rec := h.RecordSize()
	avail := MaxPartSize - h.size() - tailSize
	fullChunk := h.chunkHeaderSize() + MaxChunkRecords*rec
	n := avail / fullChunk * MaxChunkRecords
	if rest := avail % fullChunk; rest > h.chunkHeaderSize() {
		n += (rest - h.chunkHeaderSize()) / rec
	}
	return n
}

// chunkHeaderSize is the size of what precedes a chunk's records: the
// record count, and for keyed parts the records' size in bytes.
func (h *Header) chunkHeaderSize() int {
	if h.Keyed() {
		return 2 * countSize
	}
	return countSize
}
