package blind

// backend is one implementation of the group operations of protocol v1,
// working on encodings. A value serves one goroutine and one DST.
//
// Production uses fast, built on gtank/ristretto255. The interface exists so
// that the tests can run an independent implementation (circl's
// group.Ristretto255, in reference_test.go) through the same calls and
// require byte-for-byte agreement, which is how a slip in either one, such as
// a wrong expand_message_xmd, shows up.
//
// The batch methods do not go through it: they work on groups of points
// under one key, behind groupBackend (group_backend.go), and the tests hold
// them to this interface's implementations.
type backend interface {
	// hashToElement sets out to hash_to_ristretto255(msg, DST).
	hashToElement(out *Element, msg []byte)
	// decode reports whether e is a canonical encoding of a group element
	// (the identity included: callers reject it separately).
	decode(e *Element) bool
	// blind sets out to k * hash_to_ristretto255(msg, DST).
	blind(out *Element, k *Key, msg []byte)
	// reblind sets out to k * decode(in) and reports whether in decoded. It
	// reads in before writing out, so they may be the same Element.
	reblind(out *Element, k *Key, in *Element) bool
}
