// Package shuffle draws the uniformly random permutations that hide row
// order in protocol v1: each party shuffles its upload, and the clean room
// permutes each set again before relaying it (DESIGN.md section 2), so the
// position of a blinded value never points back to a row.
//
// A permutation is a []uint32 perm of length n in which output position i
// holds input index perm[i]:
//
//	shuffled[i] = rows[perm[i]]
//
// so perm doubles as the map from a shuffled position back to the row it
// came from, which is what a party needs to attach results to its own rows.
//
// Permutation is a Fisher-Yates shuffle whose bounded random integers come
// from Lemire's multiply-and-shift method with its rejection step, so every
// permutation is exactly equally likely given a uniform source; a modulo or
// an unrejected multiply would favour some. Randomness is an io.Reader
// (crypto/rand.Reader in production, a deterministic stream in tests), read
// with io.ReadFull through an 8 KiB buffer.
//
// Bucketed is the same permutation computed one bucket at a time (Rao and
// Sandelius's shuffle, uniform as well; its doc gives the argument), for
// the clean room's relay of sets larger than its memory; with one bucket
// it is Keyed.
//
// A million-element permutation takes about 12 ms of CPU, 4 MB of
// randomness and two allocations (the result and the read buffer). Measured
// on the project's shared 2-core machine under a load average of about 16,
// with the test binary of
//
//	go test -c ./protocol/shuffle
//	time ./shuffle.test -test.run '^$' -test.bench 'Permutation/1M' -test.benchtime=50x
//
// 51 permutations took 0.56 to 0.69 s of user time in three runs (11 to
// 13.5 ms each), while the wall-clock figure the benchmark prints was 20 to
// 33 ms per permutation: the difference is the other tenants.
package shuffle
