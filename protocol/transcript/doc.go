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
package transcript
