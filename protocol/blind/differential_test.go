package blind

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/blindjoin/blindjoin/protocol"
)

// agree runs every backend operation on both backends and fails on the
// first byte that differs, including whether an encoding is accepted.
func agree(t *testing.T, f, ref backend, k *Key, msg []byte, enc *Element) {
	t.Helper()
	var a, b Element
	f.hashToElement(&a, msg)
	ref.hashToElement(&b, msg)
	if a != b {
		t.Fatalf("hashToElement(%x): fast %x, reference %x", msg, a[:], b[:])
	}
	f.blind(&a, k, msg)
	ref.blind(&b, k, msg)
	if a != b {
		t.Fatalf("blind(%x): fast %x, reference %x", msg, a[:], b[:])
	}
	blinded := a
	for _, in := range []*Element{&blinded, enc} {
		okF, okR := f.decode(in), ref.decode(in)
		if okF != okR {
			t.Fatalf("decode(%x): fast %v, reference %v", in[:], okF, okR)
		}
		a, b = Element{}, Element{}
		okF, okR = f.reblind(&a, k, in), ref.reblind(&b, k, in)
		if okF != okR || a != b {
			t.Fatalf("reblind(%x): fast %v %x, reference %v %x", in[:], okF, a[:], okR, b[:])
		}
	}
}

// TestBackendsAgree compares the backends on 10,000 random digests, keys and
// encodings. The encodings mix uniformly random strings (mostly invalid), a
// valid element with one bit flipped, and strings with the sign and top bits
// cleared, which pass the cheap checks and exercise the square-root ones.
func TestBackendsAgree(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 500
	}
	r := newRand(1)
	pick := rand.New(r)
	f, ref := newFast(protocol.DST), newReference(protocol.DST)
	var accepted int
	for i := range n {
		var d [32]byte
		_, _ = r.Read(d[:])
		k, err := GenerateKey(r)
		if err != nil {
			t.Fatal(err)
		}
		var enc Element
		switch i % 3 {
		case 0:
			_, _ = r.Read(enc[:])
		case 1:
			enc = k.Blind(&d)
			enc[pick.IntN(32)] ^= 1 << pick.IntN(8)
		case 2:
			_, _ = r.Read(enc[:])
			enc[0] &^= 1
			enc[31] &^= 0x80
		}
		if f.decode(&enc) {
			accepted++
		}
		agree(t, f, ref, k, d[:], &enc)
	}
	if accepted == 0 {
		t.Fatal("no random encoding was valid: the acceptance path went untested")
	}
	t.Logf("%d inputs, %d random encodings valid", n, accepted)
}

func FuzzBackendsAgree(f *testing.F) {
	f.Add(unhex(f, userDigest), []byte{7}, unhex(f, generatorHex))
	f.Add([]byte{}, bytes.Repeat([]byte{0xff}, 32), unhex(f, fieldPrime))
	f.Add(bytes.Repeat([]byte{'a'}, 517), []byte{1}, make([]byte, 32))
	f.Fuzz(func(t *testing.T, msg, scalar, enc []byte) {
		// Any scalar below 2^252 is canonical; clearing the top nibble
		// keeps the fuzzer from wasting inputs on ParseKey's rejections.
		var s [32]byte
		copy(s[:], scalar)
		s[31] &= 0x0f
		k, err := ParseKey(s[:])
		if err != nil {
			return // zero
		}
		var e Element
		copy(e[:], enc)
		agree(t, newFast(protocol.DST), newReference(protocol.DST), k, msg, &e)
	})
}
