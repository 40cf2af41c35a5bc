package wire

// PackAttrs writes the low n attribute bits of bits into the first
// (n+7)/8 bytes of dst: bit i goes to bit i%8 (least significant first) of
// byte i/8, and bits at n and above are written as zero. n is 0..MaxAttrs.
func PackAttrs(dst []byte, bits uint64, n int) {
	if n <= 0 {
		return
	}
	if n < 64 {
		bits &= 1<<n - 1
	}
	for i := range (n + 7) / 8 {
		dst[i] = byte(bits >> (8 * i))
	}
}

// UnpackAttrs is the inverse of PackAttrs: bit i of the result is attribute
// bit i of src (at most 8 bytes are read).
func UnpackAttrs(src []byte) uint64 {
	var bits uint64
	for i, b := range src[:min(len(src), 8)] {
		bits |= uint64(b) << (8 * i)
	}
	return bits
}
