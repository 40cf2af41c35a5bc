package blind

import "github.com/gtank/ristretto255"

// fast is the production backend: gtank/ristretto255 v0.2.0 over
// filippo.io/edwards25519, with the allocation-free expander of xmd.go.
// Once built, none of its methods allocate.
type fast struct {
	x *xmd
	u [64]byte // uniform bytes from the expander
	p ristretto255.Element
}

func newFast(dst string) *fast { return &fast{x: newXMD(dst)} }

// hashToPoint sets f.p to hash_to_ristretto255(msg): 64 bytes of
// expand_message_xmd, then the one-way map of RFC 9496 section 4.3.4, which
// gtank calls SetUniformBytes (RFC 9380 Appendix B).
func (f *fast) hashToPoint(msg []byte) {
	f.x.expand(f.u[:], msg)
	_, _ = f.p.SetUniformBytes(f.u[:]) // fails only on a length other than 64
}

func (f *fast) hashToElement(out *Element, msg []byte) {
	f.hashToPoint(msg)
	copy(out[:], f.p.Bytes())
}

func (f *fast) decode(e *Element) bool {
	_, err := f.p.SetCanonicalBytes(e[:])
	return err == nil
}

// blind does not encode and decode P between hashing and multiplying: that
// round trip would add about 15% to every element. ScalarMult builds its
// table from the point before writing the receiver, so it may work in place.
func (f *fast) blind(out *Element, k *Key, msg []byte) {
	f.hashToPoint(msg)
	f.p.ScalarMult(&k.s, &f.p)
	copy(out[:], f.p.Bytes())
}

func (f *fast) reblind(out *Element, k *Key, in *Element) bool {
	if !f.decode(in) {
		return false
	}
	f.p.ScalarMult(&k.s, &f.p)
	copy(out[:], f.p.Bytes())
	return true
}
