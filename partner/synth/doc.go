// Package synth generates deterministic synthetic audiences for
// `blindjoin demo` and `blindjoin bench`: an advertiser's CRM export and a
// media partner's audience, as CSV files, with the outcome a session over
// them must find (Truth) computed from the plaintext, independently of the
// blinding, the wire format and the clean room.
//
//	d, _ := synth.New(synth.DefaultConfig())   // 20,000 x 50,000 rows, email
//	d.WriteAdvertiserCSV(advFile)              // email,segments,consent
//	d.WritePartnerCSV(partnerFile)             // user_id,user_email,consent
//	truth, _ := d.Truth(policy.Default())      // overlap, segments, activation
//
// # What the files hold
//
// The data is built to exercise what a real pair of files gets wrong, so
// that the demo shows it and the truth accounts for it:
//
//   - The advertiser types identifiers as a CRM has them: mixed case,
//     surrounding blanks, gmail.com addresses with dots and "+tags"; the
//     partner stores them normalized. Both normalize to the same digest.
//   - 1-2% of identifiers are invalid (two '@', no domain, empty; for
//     phones national formats without a region; for MAIDs the all-zero
//     IDFA of a user who limited ad tracking).
//   - Some people appear twice (the same identifier typed again: the party
//     tool keeps the first row and rejects the later ones as duplicates)
//     and some under two identifiers, personal and work: those are two
//     identifiers, never merged, and match only identifier for identifier.
//   - Consent cells are mostly TCF v2.2 TC strings (written by EncodeTC,
//     with bit-field and range-encoded vendor sections), then explicit
//     purpose lists ("1;3;4;7"), empty cells (no consent) and a few damaged
//     values the consent package must reject. About 80% of rows may count
//     (purpose 7 or 9) and about 60% may be activated (consent to 1, 3, 4).
//   - Advertiser rows carry 0 to 3 segment labels; the partner's file has
//     an extra account-id column the tool must be told to skip.
//
// # Determinism and size
//
// Every random choice comes from ChaCha8 streams (math/rand/v2) derived
// from Config.Seed, so a Config always yields the same bytes with a given
// Go release. A Dataset holds no rows: Advertiser and Partner regenerate
// them on each call, so writing a million-row file streams in constant
// memory. On a 2-core machine, both default files take about 0.2 s of CPU
// to write and the truth about 0.3 s; for 1,000,000 rows a side, 6 s and
// 11 s, with about 200 MB of memory for the truth's digest maps.
//
// # Truth
//
// ComputeTruth reads the cells as the party tool would (protocol/identifier
// normalization, partner/consent facts) and applies a policy.Policy's rules
// field by field; the package's tests check it against a hand-worked
// example and against what the generator intended for every row. It is the
// project's one plaintext oracle: the demo, the benchmark, and the flow,
// CLI and session tests all take their expected figures from it.
package synth
