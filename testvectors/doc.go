// Package testvectors holds blindjoin's own test vectors for protocol v1 and
// replays them.
//
// The vectors are JSON files in this directory (records.json,
// encodings.json, intersection.json, multikey.json), written by the
// generator in ./gen
// ("go generate ./testvectors") and documented field by field in README.md,
// which is written so that an implementation in another language can replay
// them from the README alone; replay.py is such an implementation, in
// standard-library Python. The published vectors of the RFCs the protocol
// rests on are kept apart, in upstream/, and replayed by protocol/blind.
//
// Verify replays every vector file of a file system at every intermediate
// value: normalized form, digest, element, blinded_a (key_a first),
// blinded_ab (then key_b) and the join digest of each identifier, and for
// the media partner's records also the order its own identifiers take,
// blinded_b (key_b first) and blinded_ba (then key_a), which must equal
// blinded_ab; the rejection reason of each invalid identifier and encoding;
// and the overlap of each two-party intersection, the number of distinct
// blinded_ab values present in both arrays; and for each multi-key session
// the rounds, overlap and links of the waterfall (internal/waterfall) under
// each setting. blinded_a and blinded_ab mean
// the same in every record, so an implementation written from README.md
// can compare them across the two sides directly. The files
// are embedded (Embedded), so "blindjoin vectors verify" works from any
// directory; it can also replay another copy, such as an auditor's.
//
// Decoding is strict, as in the age and C2SP CCTV vector suites the design
// follows: an unknown, misspelt, repeated or missing key fails the file
// rather than being skipped, since a replay that silently ignores a field
// checks less than it claims.
package testvectors
