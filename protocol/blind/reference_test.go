package blind

import "github.com/cloudflare/circl/group"

// reference is the test oracle: circl's group.Ristretto255, built on
// bwesterb/go-ristretto with circl's own expand_message_xmd, so it shares no
// arithmetic or hashing code with fast. It lives in a test file because
// production has no use for a second implementation.
type reference struct{ dst []byte }

func newReference(dst string) *reference { return &reference{dst: []byte(dst)} }

func (r *reference) hashToElement(out *Element, msg []byte) {
	encode(out, group.Ristretto255.HashToElement(msg, r.dst))
}

func (r *reference) decode(e *Element) bool {
	return group.Ristretto255.NewElement().UnmarshalBinary(e[:]) == nil
}

func (r *reference) blind(out *Element, k *Key, msg []byte) {
	p := group.Ristretto255.HashToElement(msg, r.dst)
	encode(out, p.Mul(p, referenceScalar(k)))
}

func (r *reference) reblind(out *Element, k *Key, in *Element) bool {
	p := group.Ristretto255.NewElement()
	if p.UnmarshalBinary(in[:]) != nil {
		return false
	}
	encode(out, p.Mul(p, referenceScalar(k)))
	return true
}

func referenceScalar(k *Key) group.Scalar {
	s := group.Ristretto255.NewScalar()
	if err := s.UnmarshalBinary(k.Bytes()); err != nil {
		panic("reference: circl rejected a canonical scalar: " + err.Error())
	}
	return s
}

func encode(out *Element, p group.Element) {
	b, err := p.MarshalBinary()
	if err != nil || len(b) != len(out) {
		panic("reference: circl could not encode an element")
	}
	copy(out[:], b)
}
