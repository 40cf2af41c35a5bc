package blind

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/gtank/ristretto255"

	"github.com/blindjoin/blindjoin/protocol"
)

const (
	generatorHex = "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76" // RFC 9496 A.1, B[1]
	fieldPrime   = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" // p = 2^255 - 19
)

func TestDecodeElementHostile(t *testing.T) {
	gen := unhex(t, generatorHex)
	withTopBit := bytes.Clone(gen)
	withTopBit[31] |= 0x80
	flipped := bytes.Clone(gen)
	flipped[0] ^= 1 // odd s: a negative field element
	tests := []struct {
		name string
		in   []byte
		want error // nil: accepted
	}{
		{"nil", nil, ErrLength},
		{"empty", []byte{}, ErrLength},
		{"31 bytes", gen[:31], ErrLength},
		{"33 bytes", append(bytes.Clone(gen), 0), ErrLength},
		{"64 bytes", append(bytes.Clone(gen), gen...), ErrLength},
		{"hex text of the generator", []byte(generatorHex), ErrLength},
		{"identity", make([]byte, 32), ErrIdentity},
		{"identity as s = p", unhex(t, fieldPrime), ErrNonCanonical},
		{"identity with bit 255 set", unhex(t, strings.Repeat("00", 31)+"80"), ErrNonCanonical},
		{"generator with bit 255 set", withTopBit, ErrNonCanonical},
		{"generator with low bit flipped", flipped, ErrNonCanonical},
		{"s = 1 (negative)", unhex(t, "01"+strings.Repeat("00", 31)), ErrNonCanonical},
		{"all ones", bytes.Repeat([]byte{0xff}, 32), ErrNonCanonical},
		{"s = -1 (y = 0)", unhex(t, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), ErrNonCanonical},
		{"generator", gen, nil},
	}
	for _, tc := range tests {
		e, err := DecodeElement(tc.in)
		if tc.want == nil {
			if err != nil || !bytes.Equal(e[:], tc.in) {
				t.Errorf("%s: got err %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) || !errors.Is(err, ErrInvalidElement) {
			t.Errorf("%s: err = %v, want %v wrapping ErrInvalidElement", tc.name, err, tc.want)
		}
		if e != (Element{}) {
			t.Errorf("%s: non-zero Element returned with an error", tc.name)
		}
	}
}

func TestElementErrorsAreDistinct(t *testing.T) {
	errs := []error{ErrLength, ErrNonCanonical, ErrIdentity}
	for i, a := range errs {
		for j, b := range errs {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, errors.Is(a, b))
			}
		}
	}
}

func FuzzDecodeElement(f *testing.F) {
	f.Add(unhex(f, generatorHex))
	f.Add(make([]byte, 32))
	f.Add(unhex(f, fieldPrime))
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Add([]byte{1, 2, 3})
	f.Add(unhex(f, "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371")) // A.2, non-square
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeElement(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidElement) {
				t.Fatalf("error %v does not wrap ErrInvalidElement", err)
			}
			if len(b) >= 4 && strings.Contains(err.Error(), hex.EncodeToString(b[:4])) {
				t.Fatalf("error message shows the input: %v", err)
			}
			if (len(b) != protocol.ElementSize) != errors.Is(err, ErrLength) {
				t.Fatalf("length %d classified as %v", len(b), err)
			}
			if len(b) == protocol.ElementSize && newReference(protocol.DST).decode((*Element)(b)) && !bytes.Equal(b, make([]byte, 32)) {
				t.Fatalf("rejected (%v) an encoding the reference accepts", err)
			}
			return
		}
		if e == (Element{}) {
			t.Fatal("accepted the identity")
		}
		// Canonical: the encoding of the decoded point is the input itself.
		var p ristretto255.Element
		if _, err := p.SetCanonicalBytes(b); err != nil || !bytes.Equal(p.Bytes(), b) {
			t.Fatal("accepted an encoding that does not round-trip")
		}
		if !newReference(protocol.DST).decode(&e) {
			t.Fatal("accepted an encoding the reference rejects")
		}
	})
}
