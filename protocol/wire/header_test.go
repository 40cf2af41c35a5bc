package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestPackAttrs(t *testing.T) {
	tests := []struct {
		bits uint64
		n    int
		want []byte
	}{
		{0, 0, []byte{}},
		{1, 1, []byte{0x01}},
		{0xff, 1, []byte{0x01}}, // bits beyond n are dropped
		{0b1010_0101, 8, []byte{0xa5}},
		{1 << 8, 9, []byte{0x00, 0x01}},
		{0x3ff, 9, []byte{0xff, 0x01}},
		{1<<10 | 1, 11, []byte{0x01, 0x04}},
		{0x0123456789abcdef, 64, []byte{0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}},
		{^uint64(0), 63, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
	}
	for _, tt := range tests {
		got := make([]byte, len(tt.want))
		PackAttrs(got, tt.bits, tt.n)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("PackAttrs(%#x, %d) = %x, want %x", tt.bits, tt.n, got, tt.want)
		}
		mask := ^uint64(0)
		if tt.n < 64 {
			mask = 1<<tt.n - 1
		}
		if back := UnpackAttrs(got); back != tt.bits&mask {
			t.Errorf("UnpackAttrs(%x) = %#x, want %#x", got, back, tt.bits&mask)
		}
	}
	if got := UnpackAttrs([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0xff}); got != 1 {
		t.Errorf("UnpackAttrs read past 8 bytes: %#x", got)
	}
}

func TestRecordSize(t *testing.T) {
	tests := []struct {
		h    Header
		want int
	}{
		{Header{Kind: KindBlinded}, 32},
		{Header{Kind: KindBlinded, Attrs: attrsOf(1)}, 33},
		{Header{Kind: KindBlinded, Attrs: attrsOf(8)}, 33},
		{Header{Kind: KindBlinded, Attrs: attrsOf(9)}, 34},
		{Header{Kind: KindBlinded, Attrs: attrsOf(64)}, 40},
		{Header{Kind: KindElements}, 32},
		{Header{Kind: KindJoin}, 16},
		{Header{Kind: 0}, 0},
		{Header{Kind: 4}, 0},
	}
	for _, tt := range tests {
		if got := tt.h.RecordSize(); got != tt.want {
			t.Errorf("%s with %d attrs: RecordSize %d, want %d", tt.h.Kind, len(tt.h.Attrs), got, tt.want)
		}
	}
}

func TestValidateAcceptsEdges(t *testing.T) {
	var all []Attr // 64 distinct attributes touching every range edge
	for p := uint8(1); p <= 24; p++ {
		all = append(all, Attr{AttrPurposeConsent, p}, Attr{AttrPurposeLI, p})
	}
	all = append(all, Attr{AttrVendors, 0}, Attr{AttrSegment, 0}, Attr{AttrSegment, 63})
	for s := uint8(1); len(all) < 64; s++ {
		all = append(all, Attr{AttrSegment, s})
	}
	valid := []Header{
		{Kind: KindBlinded, Attrs: all},
		{Kind: KindElements, Part: 7, First: 7},
		{Kind: KindJoin, Part: 1<<32 - 1, First: 1<<63 - 1},
	}
	for _, h := range valid {
		if err := h.Validate(); err != nil {
			t.Errorf("%s part %d: %v", h.Kind, h.Part, err)
		}
	}
	if err := (&Header{Kind: KindBlinded, Attrs: append(all[:63:63], Attr{AttrSegment, 0})}).Validate(); !errors.Is(err, ErrHeader) {
		t.Errorf("duplicate segment 0 at the end: %v", err)
	}
}

func TestHeaderIsCopied(t *testing.T) {
	rd, err := NewReader(bytes.NewReader(smallParts()["blinded"]))
	if err != nil {
		t.Fatal(err)
	}
	h := rd.Header()
	h.Attrs[0] = Attr{AttrSegment, 9}
	if rd.Header().Attrs[0] != (Attr{AttrPurposeConsent, 1}) {
		t.Fatal("Header shares its attribute list with the Reader")
	}
}

func TestErrorText(t *testing.T) {
	err := &Error{Offset: 42, Err: ErrChecksum}
	if got := err.Error(); got != "wire: checksum mismatch (at byte 42)" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, ErrChecksum) {
		t.Error("Error does not unwrap to its sentinel")
	}
	if KindJoin.String() != "join" || AttrSegment.String() != "segment" || Kind(9).String() != "Kind(9)" {
		t.Error("String methods")
	}
}
