package protocol

// Suite names the prime-order group and hash of protocol v1.
const Suite = "ristretto255-SHA512"

// DST is the domain separation tag of hash_to_ristretto255 in protocol v1
// (RFC 9380 section 3.1 format: application, version, suite ID). Changing it
// changes every blinded value, so it is part of the wire format.
const DST = "BLINDJOIN-V1-CS01-with-ristretto255_XMD:SHA-512_R255MAP_RO_"

// ElementSize is the length in bytes of a canonical ristretto255 encoding
// (RFC 9496 section 4.3.2).
const ElementSize = 32

// ScalarSize is the length in bytes of a scalar encoding: little-endian,
// canonical (below the group order), RFC 9496 section 4.4.
const ScalarSize = 32

// JoinDigestSize is the length in bytes of a join digest, the truncated
// SHA-256 of a doubly-blinded element that the last leg carries
// (protocol/SPEC.md, "Join digests", for the collision bound).
const JoinDigestSize = 16
