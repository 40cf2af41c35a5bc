// Package blind holds the cryptography of protocol v1 (see package
// protocol): secret keys, hash_to_ristretto255, blinding, re-blinding and
// join digests, one element at a time or in parallel batches.
//
// A party draws a Key per session with GenerateKey, uploads Blind(d) for each
// identifier digest d, re-blinds the counterpart's elements with Reblind (or
// ReblindJoinBatch, which yields the join digests of the last leg directly),
// and forgets the key. Every element that arrives from elsewhere is decoded
// strictly (DecodeElement): a wrong length, a non-canonical encoding or the
// identity is an error, with a distinct sentinel for each, all wrapping
// ErrInvalidElement.
//
// # Backends
//
// The group arithmetic has two implementations behind the unexported
// backend interface. Production uses gtank/ristretto255 v0.2.0 (on
// filippo.io/edwards25519) with an allocation-free expand_message_xmd of its
// own. The tests run circl's group.Ristretto255, which shares no code with
// it, through the same calls on 10,000 random inputs and a fuzz target, and
// require byte-for-byte agreement, including on which encodings are
// rejected. Both reproduce the published vectors of RFC 9380 (K.3),
// RFC 9496 (A.1 to A.3) and RFC 9497 (A.1.1.1) kept in
// testvectors/upstream.
//
// The batch methods need the Edwards points behind the elements, which gtank
// keeps private, so they decode and map with this package's own RFC 9496
// code on filippo.io/edwards25519 (ristretto.go) and multiply with
// edwards25519's constant-time ScalarMult. They multiply each point by k/2
// and encode 2*(k/2)*P = k*P in groups of up to 64 with one shared field
// inversion (double_encode.go, the batched double-and-encode of the
// Ristretto notes), instead of one inverse square root per point: about 7x
// cheaper than encoding one point at a time, with byte-identical results,
// which the tests check against gtank and circl on every batch size up to
// 17, at the group boundaries, on random batches and with an invalid
// element in every position.
//
// # Performance
//
// Measured with
//
//	go test -run '^$' -bench . -benchmem -benchtime=200ms -count=3 ./protocol/blind
//
// on the project's shared 2-core machine (Intel Xeon, Go 1.26, linux/amd64)
// while other jobs kept the load average between 14 and 18, so wall-clock
// figures are inflated and noisy; the CPU time per operation (process
// user + system time, reported as cpu-ns) is the figure to compare. Medians
// of 3 runs:
//
//	operation                        CPU time     wall time    allocs
//	hash to element, fast             12.8 us                   0
//	hash to element, reference        16.4 us                  11
//	Blind, fast backend               59.9 us                   0
//	Blind, reference backend          73.7 us                  13
//	Key.Blind (backend per call)      60.0 us                   3
//	Reblind, fast backend             53.7 us                   0
//	Reblind, reference backend        69.0 us                   4
//	Key.Reblind (backend per call)    54.7 us                   3
//	BlindBatch, per element           61.4 us    150 us        16 per batch
//	ReblindBatch, per element         55.5 us    115 us        16 per batch
//	ReblindJoinBatch, per element     55.7 us    120 us        16 per batch
//	gtank ScalarMult alone            45.5 us                   0
//
// Under that load even the single-threaded wall times ran 1.1 to 3 times
// their CPU times, and a batch got less than one core of the two, hence its
// wall time per element above its CPU time; on a quiet machine a batch's
// wall time is about half its CPU time. The CPU figures run about 1.25 times
// those of a quiet machine (DESIGN.md section 7: 36.4 us per scalar
// multiplication there, 45.5 us here). A party's whole share of one element,
// Blind plus Reblind, is about 115 us of CPU here, nearly all of it the two
// scalar multiplications.
package blind
