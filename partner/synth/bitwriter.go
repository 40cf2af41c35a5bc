package synth

import (
	"encoding/base64"
	"math/bits"

	"github.com/blindjoin/blindjoin/partner/consent/tcf"
)

// bitWriter appends big-endian bit fields to a byte slice.
type bitWriter struct {
	buf []byte
	acc uint64 // the low n bits are pending
	n   uint   // always < 8 between calls
}

// put appends the low width bits of v (width <= 56).
func (w *bitWriter) put(v uint64, width uint) {
	w.acc = w.acc<<width | v&(1<<width-1)
	w.n += width
	for w.n >= 8 {
		w.n -= 8
		w.buf = append(w.buf, byte(w.acc>>w.n))
	}
}

// append appends the bits written to v so far.
func (w *bitWriter) append(v *bitWriter) {
	for _, b := range v.buf {
		w.put(uint64(b), 8)
	}
	w.put(v.acc, v.n)
}

func (w *bitWriter) bool(b bool) {
	if b {
		w.put(1, 1)
	} else {
		w.put(0, 1)
	}
}

// flags appends an n-bit field (1 <= n <= 56) whose first bit is flag 1;
// flags above n are dropped. Bit id-1 of f is flag id, so the field is f's
// low n bits in reverse order.
func (w *bitWriter) flags(f tcf.Flags, n uint) {
	w.put(bits.Reverse64(uint64(f))>>(64-n), n)
}

// encode pads to a whole byte and returns unpadded base64url. The decoder
// accepts any number of zero bits after the last field.
func (w *bitWriter) encode() string {
	if w.n > 0 {
		w.buf = append(w.buf, byte(w.acc<<(8-w.n)))
		w.n = 0
	}
	return base64.RawURLEncoding.EncodeToString(w.buf)
}
