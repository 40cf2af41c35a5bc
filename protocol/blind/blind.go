package blind

import (
	"crypto/sha256"

	"github.com/blindjoin/blindjoin/protocol"
)

// HashToElement returns hash_to_ristretto255(msg, protocol.DST) as RFC 9380
// Appendix B defines it: expand_message_xmd with SHA-512 to 64 bytes, then
// the RFC 9496 one-way map. In protocol v1, msg is the 32-byte digest d of an
// identifier. Note that the one-way map applied to SHA-512(msg) is a
// different function (the tests check both).
func HashToElement(msg []byte) Element {
	return hashToElementWithDST(msg, protocol.DST)
}

// hashToElementWithDST lets the tests replay the RFC 9497 vectors, whose
// hash-to-group uses another DST.
func hashToElementWithDST(msg []byte, dst string) Element {
	var e Element
	newFast(dst).hashToElement(&e, msg)
	return e
}

// Blind returns k * HashToElement(d): the value a party uploads for its
// identifier digest d (DESIGN.md section 2, step 4). For a batch, BlindBatch
// is faster and does not allocate per element.
//
// The result is the identity only if HashToElement(d) is, which takes a
// SHA-512 preimage to arrange; the receiving side rejects it anyway.
func (k *Key) Blind(d *[32]byte) Element {
	var e Element
	newFast(protocol.DST).blind(&e, k, d[:])
	return e
}

// Reblind returns k * decode(e), the counterpart's element blinded again
// (DESIGN.md section 2, step 5). Decoding is that of DecodeElement: it fails
// with ErrNonCanonical or ErrIdentity, and then returns the zero Element.
func (k *Key) Reblind(e *Element) (Element, error) {
	var out Element
	if err := k.reblind(newFast(protocol.DST), &out, e); err != nil {
		return Element{}, err
	}
	return out, nil
}

// reblind is Reblind on a caller's backend, for the batches and the tests.
// out and in may be the same Element. It rejects what DecodeElement rejects,
// in the same order.
func (k *Key) reblind(w backend, out, in *Element) error {
	if *in == (Element{}) {
		return ErrIdentity
	}
	if !w.reblind(out, k, in) {
		return ErrNonCanonical
	}
	return nil
}

// JoinDigestSize is the length of a join digest.
const JoinDigestSize = protocol.JoinDigestSize

// joinDomain separates join digests from every other SHA-256 in the system.
const joinDomain = "blindjoin-v1-join"

// JoinDigest returns the first 16 bytes of SHA-256("blindjoin-v1-join" ||
// double): what a party sends in place of each double-blinded element on
// the last leg (docs/ARCHITECTURE.md, "Join digests"; protocol/SPEC.md gives
// the collision bound).
func JoinDigest(double *Element) [JoinDigestSize]byte {
	var buf [len(joinDomain) + protocol.ElementSize]byte
	copy(buf[:], joinDomain)
	copy(buf[len(joinDomain):], double[:])
	sum := sha256.Sum256(buf[:])
	return [JoinDigestSize]byte(sum[:JoinDigestSize])
}
