package blind

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding"
	"hash"
	"io"
)

// xmd is expand_message_xmd (RFC 9380 section 5.3.1) instantiated with
// SHA-512, for one DST, reusable without allocating.
//
// circl's expander computes the same function (the tests compare the two),
// but allocates on every call; blinding a million digests must not, so the
// fast backend has its own. Keeping the reference backend on circl's
// expander also keeps the two backends independent.
type xmd struct {
	h        hash.Hash
	dstPrime []byte // DST || I2OSP(len(DST), 1)
	// afterZPad is the state of h after Z_pad, one all-zero input block
	// that starts every msg_prime: b_0 restores it rather than hash that
	// block again, a third of the SHA-512 blocks of a 64-byte output.
	afterZPad []byte
	restore   encoding.BinaryUnmarshaler // h

	small [3]byte // scratch for the I2OSP fields
	b0    [sha512.Size]byte
	chain [sha512.Size]byte // b_0 XOR b_(i-1), the input of b_i
	bi    [sha512.Size]byte
}

// newXMD panics if dst is empty or longer than 255 bytes, which RFC 9380
// section 5.3.3 forbids: DSTs are constants of the protocol (or of a test
// vector), never input.
func newXMD(dst string) *xmd {
	if len(dst) == 0 || len(dst) > 255 {
		panic("blind: expand_message_xmd DST must be 1 to 255 bytes")
	}
	h := sha512.New()
	x := &xmd{h: h, dstPrime: make([]byte, 0, len(dst)+1)}
	x.dstPrime = append(append(x.dstPrime, dst...), byte(len(dst)))
	_, _ = h.Write(make([]byte, sha512.BlockSize))
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("blind: SHA-512 state does not marshal")
	}
	x.afterZPad, x.restore = state, h.(encoding.BinaryUnmarshaler)
	return x
}

// writeMsgPrimeTail writes msg_prime without its leading Z_pad, msg ||
// I2OSP(n, 2) || I2OSP(0, 1) || DST_prime, to w: the rest of the input of
// b_0 for an n-byte output. It is separate from expand so that the tests
// can compare Z_pad and it with the msg_prime of RFC 9380 Appendix K.3.
func (x *xmd) writeMsgPrimeTail(w io.Writer, msg []byte, n int) {
	x.small[0], x.small[1], x.small[2] = byte(n>>8), byte(n), 0
	_, _ = w.Write(msg)
	_, _ = w.Write(x.small[:3])
	_, _ = w.Write(x.dstPrime)
}

// expand fills out with expand_message_xmd(msg, DST, len(out)). The output
// length is a constant of the caller; expand panics if it is 0 or more than
// 255 hash blocks, the limits of section 5.3.1.
func (x *xmd) expand(out, msg []byte) {
	ell := (len(out) + sha512.Size - 1) / sha512.Size
	if ell == 0 || ell > 255 {
		panic("blind: expand_message_xmd output length out of range")
	}
	if err := x.restore.UnmarshalBinary(x.afterZPad); err != nil {
		panic("blind: SHA-512 state does not unmarshal") // it came from MarshalBinary
	}
	x.writeMsgPrimeTail(x.h, msg, len(out))
	x.h.Sum(x.b0[:0])

	// b_1 = H(b_0 || 1 || DST_prime); b_i = H((b_0 XOR b_(i-1)) || i || DST_prime).
	// Clearing bi makes the first chain value b_0 itself.
	clear(x.bi[:])
	for i := 1; i <= ell; i++ {
		subtle.XORBytes(x.chain[:], x.b0[:], x.bi[:])
		x.small[0] = byte(i)
		x.h.Reset()
		_, _ = x.h.Write(x.chain[:])
		_, _ = x.h.Write(x.small[:1])
		_, _ = x.h.Write(x.dstPrime)
		x.h.Sum(x.bi[:0])
		copy(out[(i-1)*sha512.Size:], x.bi[:])
	}
}
