// Package policy is the session policy that the advertiser proposes, the
// media partner accepts by its hash, and the clean room enforces: upload
// floor, k threshold, consent rules, match-rate granularity, optional
// differential privacy, vendor list and retention.
//
//	{"min_rows": 1000, "k": 50,
//	 "count_purposes": {"any_of": [7, 9]},
//	 "activation_purposes": {"all_of": [1, 3, 4]},
//	 "activation_segments": [], "rate_granularity": "percent",
//	 "dp": {"epsilon": 1}, "vendor_ids": [], "retention_days": 30}
//
// Every field is optional; Default gives the defaults of DESIGN.md sections
// 4 and 5 (no "dp" means no noise, empty "activation_segments" means every
// segment of the session; "dp": null also means no noise, as the canonical
// form writes it). Parse is strict: unknown or duplicate fields, other
// nulls, wrong types, trailing data and out-of-range values are errors, and
// CheckFloor refuses a policy that is looser than the operator's floor in
// any field ("a session may make the policy stricter, not looser").
//
// # Purposes and legal bases
//
// Rules name IAB TCF 2.2 purposes 1..11. The TC string has room for 24
// purpose bits, but 12..24 are unassigned: a rule naming one could never be
// satisfied by a real user choice, so it is refused as a mistake. A purpose
// is satisfied by consent, or by legitimate interest where TCF 2.2 allows
// that basis (purposes 2 and 7..11; never 1, nor 3..6 since TCF 2.2). The
// count rule accepts both bases; the activation rule accepts consent only.
//
// # Attribute bits
//
// A party does not send consent strings, only per-row facts: one bit per
// attribute of Attrs, in that order (docs/ARCHITECTURE.md, "Attribute
// bits"). The server rebuilds an Evaluator from the declared attribute list
// and draws the conclusions itself, denying by default: a row counts, is
// activated or is in a segment only if the bits say so.
//
// # Canonical form and hash
//
// Canonical is a compact JSON object with every field present, in the order
// min_rows, k, count_purposes, activation_purposes, activation_segments,
// rate_granularity, dp, vendor_ids, retention_days; then match_keys,
// duplicates and conflicts, each only when it differs from its default (no
// keys, "first", "block"), so that policies written before them keep their
// hashes. match_keys is an order (the waterfall's), kept as given. Rules have exactly one
// key (any_of or all_of); purpose and vendor lists are sorted ascending
// without duplicates, segment names sorted by bytes; "dp" is null or
// {"epsilon": E}, with E the shortest decimal that reads back as the same
// float64 (as ECMAScript's Number.prototype.toString writes it). Hash is the
// lowercase hex SHA-256 of Canonical: two policies that differ only in field
// order, whitespace or set order have the same hash.
package policy
