package blind

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

// wantCheck is what CheckElements must return for elems: DecodeElement's
// verdict on the first element it rejects, at that index.
func wantCheck(elems []Element) (int, error) {
	for i := range elems {
		if _, err := DecodeElement(elems[i][:]); err != nil {
			return i, err
		}
	}
	return -1, nil
}

// requireCheckAgrees fails unless CheckElements(elems) is what
// DecodeElement, element by element, says.
func requireCheckAgrees(t testing.TB, what string, elems []Element) {
	t.Helper()
	in := append([]Element(nil), elems...)
	err := CheckElements(elems)
	for i := range elems {
		if elems[i] != in[i] {
			t.Fatalf("%s: CheckElements modified element %d", what, i)
		}
	}
	idx, want := wantCheck(elems)
	if want == nil {
		if err != nil {
			t.Fatalf("%s: CheckElements = %v, DecodeElement accepts all %d", what, err, len(elems))
		}
		return
	}
	var be *BatchError
	if !errors.As(err, &be) || be.Index != idx || be.Err != want {
		t.Fatalf("%s: CheckElements = %v, want element %d: %v", what, err, idx, want)
	}
	if !errors.Is(err, ErrInvalidElement) {
		t.Fatalf("%s: %v does not wrap ErrInvalidElement", what, err)
	}
}

// hostileElements are 32-byte encodings DecodeElement rejects, one per
// rule, and the reason.
func hostileElements(t *testing.T) []struct {
	name string
	e    Element
	want error
} {
	gen := Element(unhex(t, generatorHex))
	withTopBit, flipped := gen, gen
	withTopBit[31] |= 0x80
	flipped[0] ^= 1
	table := []struct {
		name string
		e    Element
		want error
	}{
		{"identity", Element{}, ErrIdentity},
		{"identity as s = p", Element(unhex(t, fieldPrime)), ErrNonCanonical},
		{"identity with bit 255 set", Element(unhex(t, strings.Repeat("00", 31)+"80")), ErrNonCanonical},
		{"generator with bit 255 set", withTopBit, ErrNonCanonical},
		{"generator with low bit flipped", flipped, ErrNonCanonical},
		{"generator negated (p - s, odd)", negatedS(gen), ErrNonCanonical},
		{"s = 1 (negative)", Element(unhex(t, "01"+strings.Repeat("00", 31))), ErrNonCanonical},
		{"all ones", Element(bytes.Repeat([]byte{0xff}, 32)), ErrNonCanonical},
		{"s = -1 (y = 0)", Element(unhex(t, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), ErrNonCanonical},
		{"s = p + 2 (2, not reduced)", Element(unhex(t, "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), ErrNonCanonical},
	}
	// RFC 9496 A.2: non-canonical, negative, non-square, negative xy and
	// y = 0 encodings.
	var file rfc9496File
	readVectors(t, "rfc9496_ristretto255.json", &file)
	for i, h := range file.Invalid.Encodings {
		table = append(table, struct {
			name string
			e    Element
			want error
		}{fmt.Sprintf("RFC 9496 A.2 #%d", i), *unhexElement(t, h), ErrNonCanonical})
	}
	return table
}

// negatedS returns the encoding of p - s, the other square root of s^2.
func negatedS(e Element) Element {
	p, _ := new(big.Int).SetString("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed", 16)
	s := new(big.Int).SetBytes(reverse(e[:]))
	var out Element
	copy(out[:], reverse(new(big.Int).Sub(p, s).FillBytes(make([]byte, 32))))
	return out
}

func reverse(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

func TestCheckElementsHostile(t *testing.T) {
	for _, h := range hostileElements(t) {
		if _, err := DecodeElement(h.e[:]); err != h.want {
			t.Fatalf("%s: DecodeElement = %v, the table says %v", h.name, err, h.want)
		}
		requireCheckAgrees(t, h.name, []Element{h.e})
	}
	requireCheckAgrees(t, "empty", nil)
	requireCheckAgrees(t, "the generator", []Element{Element(unhex(t, generatorHex))})
}

// TestCheckElementsEveryPosition puts each hostile encoding at each
// position of a batch spanning two groups (so every lane of every
// eight-lane round), alone and followed by another invalid element.
func TestCheckElementsEveryPosition(t *testing.T) {
	k := testKey(t, 21)
	const n = encodeGroup + 17
	valid := make([]Element, n)
	if err := k.BlindBatch(valid, randomDigests(n, 61)); err != nil {
		t.Fatal(err)
	}
	requireCheckAgrees(t, "all valid", valid)
	hostile := hostileElements(t)
	for pos := range n {
		for hi, h := range hostile {
			in := append([]Element(nil), valid...)
			in[pos] = h.e
			requireCheckAgrees(t, h.name+" alone", in)
			if pos+1 < n {
				in[pos+1] = hostile[(hi+1)%len(hostile)].e // a later error must not win
				requireCheckAgrees(t, h.name+" then another", in)
			}
		}
	}
}

// TestCheckElementsRandomBatches compares 1,000 random batches, of valid
// elements, random bytes (mostly invalid) and hostile encodings, with
// DecodeElement, every batch size up to 150 included.
func TestCheckElementsRandomBatches(t *testing.T) {
	k := testKey(t, 23)
	pool := make([]Element, 300)
	if err := k.BlindBatch(pool, randomDigests(len(pool), 62)); err != nil {
		t.Fatal(err)
	}
	hostile := hostileElements(t)
	r := newRand(63)
	pick := rand.New(newRand(64))
	for b := range 1000 {
		n := b%150 + 1
		in := make([]Element, n)
		for i := range in {
			switch c := pick.IntN(100); {
			case c < 90:
				in[i] = pool[pick.IntN(len(pool))]
			case c < 95:
				_, _ = r.Read(in[i][:])
			default:
				in[i] = hostile[pick.IntN(len(hostile))].e
			}
		}
		requireCheckAgrees(t, "random batch", in)
	}
}

func TestCheckElementsNoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop scratch on purpose; allocations are counted without it")
	}
	k := testKey(t, 25)
	in := make([]Element, 200)
	if err := k.BlindBatch(in, randomDigests(len(in), 65)); err != nil {
		t.Fatal(err)
	}
	_ = CheckElements(in) // warm the pool
	if a := testing.AllocsPerRun(20, func() { _ = CheckElements(in) }); a != 0 {
		t.Errorf("%v allocations per call", a)
	}
}

// FuzzCheckElements compares CheckElements with DecodeElement on batches
// cut from the input, 32 bytes per element.
func FuzzCheckElements(f *testing.F) {
	gen := unhex(f, generatorHex)
	f.Add(gen)
	f.Add(append(bytes.Repeat(gen, 9), make([]byte, 32)...))
	f.Add(append(bytes.Repeat(gen, 3), unhex(f, fieldPrime)...))
	f.Add(bytes.Repeat([]byte{0xff}, 32*5))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := make([]Element, len(b)/32)
		for i := range in {
			copy(in[i][:], b[32*i:])
		}
		requireCheckAgrees(t, "fuzz", in)
	})
}
