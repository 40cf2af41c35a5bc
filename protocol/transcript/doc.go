// Package transcript is the per-session audit log of the clean room: a hash
// chain over the session's events, whose head the server signs with
// Ed25519. A party or an auditor fetches the transcript (GET
// /v1/sessions/{id}/transcript), checks it with Verify against the server's
// published key, and checks that the digests of the parts it uploaded appear
// in it (PartDigests). The server cannot later present a different history
// of the session without the signature failing.
//
// # Encoding (for replay in another language)
//
// All integers are big-endian; str(x) is uint32(len(x)) || x (UTF-8 bytes).
//
//	canonical(e) = uint64(seq) || int64(unix_seconds) || uint32(nanoseconds)
//	               || str(actor) || str(type)
//	               || uint32(n) || str(key_1) || str(value_1) || ... || str(key_n) || str(value_n)
//
// with the data pairs sorted by key bytes, and unix_seconds and nanoseconds
// the instant of the event's RFC 3339 time.
//
//	head_0 = SHA-256("blindjoin-transcript-v1" || session_id)
//	head_i = SHA-256(head_{i-1} || canonical(event_i))
//
// The server signs head_n of the n events with Ed25519 (RFC 8032, pure) over
//
//	"blindjoin-transcript-v1 head\n" || session_id || "\n" || decimal(n) || "\n" || hex(head_n) || "\n" || key_id
//
// key_id is signed too, so that every byte of the head is authenticated.
//
// # JSON form
//
//	{"session_id": "...",
//	 "events": [{"seq": 1, "time": "2025-06-01T12:00:00.5Z", "actor": "...",
//	             "type": "part_uploaded", "data": {"digest": "...", ...}}, ...],
//	 "head": {"session_id": "...", "seq": n, "hash": "<64 hex>",
//	          "key_id": "...", "signature": "<128 hex>"}}
//
// ParseTranscript is strict so that every verifier reads the same history:
// UTF-8 only; no unknown, duplicate or non-lowercase keys, no nulls, no trailing data;
// times in UTC in Go's RFC 3339 form ("Z", fraction without trailing
// zeros); hex in lowercase. Events are numbered 1..n with non-decreasing
// times.
//
// # Results
//
// The computed event commits to each party's results without disclosing
// them: under advertiser_result_commitment and
// media_partner_result_commitment (ResultCommitmentKey) it holds
//
//	SHA-256(str("blindjoin-result-v1") || str(session_id) || str(side) || str(nonce) || str(results))
//
// where nonce is 32 random bytes the clean room draws per result and returns
// only to that result's owner, with its results (result_nonce), and results
// is the JSON of the results without result_nonce, as Go's encoding/json
// writes protocol/api.Results (Results.CommittedJSON: fields in
// declaration order, map keys sorted, HTML characters escaped). So:
//
//   - each party checks its own results (CheckResult; `blindjoin audit
//     verify --results`), and cannot check the other's;
//   - an auditor, or the other party, checks that the event commits to both
//     results (ResultCommitments) but learns nothing of them: without the
//     nonce, enumerating the few values a result can take is useless.
//
// Transcripts recorded before commitments hold result_digest and
// partner_result_digest instead, an unsalted SHA-256 of each results JSON;
// their chain and signature verify as before, CheckResult still checks
// results against them (with no nonce), and ResultCommitments reports them
// as ErrLegacyResultDigest. Such a digest of the advertiser's results can be
// inverted by the media partner, which knows every other field and can
// enumerate the segment counts. The chain encoding did not change, so the
// transcript domain stays "blindjoin-transcript-v1": event data keys are
// not part of it.
package transcript
