// Package protocol fixes the constants of blindjoin protocol v1 and documents
// the protocol as a whole; its subpackages implement the parts.
//
// Two parties, an advertiser A and a media partner B, learn the size of the
// intersection of their audiences through a clean room that sees neither
// side's identifiers. It is a Diffie-Hellman private set intersection on the
// ristretto255 group (suite [Suite]): each party raises the other's blinded
// values to its own secret scalar, and because scalar multiplication commutes,
// a*(b*P) = b*(a*P) exactly when both parties started from the same
// identifier.
//
//	advertiser A (secret a)           clean room            media partner B (secret b)
//	-----------------------      ------------------------   --------------------------
//	d = SHA-256(normalize(id))                              d = SHA-256(normalize(id))
//	P = H2G(d, DST)                                         P = H2G(d, DST)
//	a*P, shuffled                                           b*P, shuffled
//	               a*P_A ----------->            <---------- b*P_B
//	                             validate, permute,
//	                             relay to the other side
//	               <----------- b*P_B            a*P_A ----------->
//	x = a*(b*P_B)                                           x = b*(a*P_A)
//	j = T(x)                                                j = T(x)
//	                   j ----------->            <---------- j
//	                             join on j, apply policy,
//	                             release thresholded counts
//
// where
//
//	H2G(d, DST) = hash_to_ristretto255(msg = d, DST), RFC 9380 Appendix B:
//	              expand_message_xmd(SHA-512) to 64 bytes, then the RFC 9496
//	              one-way map (section 4.3.4)
//	T(x)        = first 16 bytes of SHA-256("blindjoin-v1-join" || x)
//
// Scalars are fresh per session, never sent and never reused. Every element a
// party or the clean room receives is decoded strictly: a non-canonical
// encoding or the identity element is rejected, never repaired.
//
// Subpackages:
//
//   - identifier: normalization and the digest d per identifier type
//   - blind: keys, H2G, blinding and re-blinding, batches
//   - shuffle: the unbiased permutations that hide row order
//   - wire, policy, transcript, api: formats exchanged between the parties
//
// This package holds only constants, so that every other package agrees on
// them without importing the cryptography.
package protocol
