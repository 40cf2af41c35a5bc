// Package dp adds differential-privacy noise to the counts the clean room
// releases and keeps the epsilon arithmetic of the per-pair budget.
//
// # Noise
//
// Every released count gets independent discrete Laplace (two-sided
// geometric) noise: P(X = x) ∝ exp(-|x|·ε/Δ), where Δ is the count's
// sensitivity. Integer noise on an integer count needs no rounding, so the
// floating-point attacks on textbook Laplace noise (Mironov, CCS 2012) do not
// apply.
//
// The noise is drawn from a deterministic cryptographic stream, not from
// crypto/rand: the caller derives a seed from a server secret and the digests
// of both uploads (DeriveSeed), so computing the same session twice releases
// the same noisy numbers. A party that could trigger a recomputation would
// otherwise average fresh noise away. Each count has its own label
// ("overlap", "segment:NAME"), which selects an independent stream.
//
// Stream (label L, seed S), for replay in another language:
//
//	key_L   = HMAC-SHA256(S, "blindjoin-dp-v1 label" || 0x00 || L)
//	block_i = HMAC-SHA256(key_L, uint64_be(i))      i = 0, 1, 2, ...
//	stream  = block_0 || block_1 || ...             read as big-endian uint64 words
//
// uniform(n) draws words w until w >= 2^64 mod n and returns w mod n (exact
// rejection sampling; n = 1 draws nothing).
//
// # Sampler
//
// Samples are exact: the Canonne–Kamath–Steinke sampler ("The Discrete
// Gaussian for Differential Privacy", NeurIPS 2020, algorithms 1 and 2) uses
// only integer arithmetic and uniform(n) draws, so its output distribution is
// exactly the discrete Laplace for the rational scale it is given. The
// alternative, inverting the geometric CDF on a 53-bit uniform float, is
// shorter and constant-time but only approximates the distribution (log and
// exp rounding, tails cut at 2^-53) and ties the result to one libm. The exact
// sampler takes a variable number of draws (a few on average); that timing
// is not observable to a party, who only sees the final released counts.
//
// The sampler needs a rational ε, so ε is rounded DOWN to a multiple of
// 10^-9 (EpsilonQuantum): the noise is never less than the budget promises.
// With ε = E·10^-9 and sensitivity Δ, the noise has scale t/s where
// s = E/g, t = 10^9·Δ/g and g = gcd(E, 10^9·Δ). Exactly, in draw order:
//
//	bernoulli(a/b)    = uniform(b) < a
//	bernoulliExp(a/b) = k := 1; while bernoulli(a/(b·k)): k++; return k odd   (a <= b)
//	sample:
//	  loop:
//	    u := uniform(t); if not bernoulliExp(u/t): restart
//	    v := 0; while bernoulliExp(1/1): v++      (restart if v reaches 2^13)
//	    y := floor((u + t·v) / s)
//	    negative := uniform(2) == 1; if negative and y == 0: restart
//	    return negative ? -y : y
//
// # Accounting
//
// One user changes the overlap by at most 1 and each per-segment count by at
// most 1 (a user may sit in several segments), so a release of the overlap
// and n segment counts is n+1 queries of sensitivity 1; by sequential
// composition each gets Split(ε, n+1). This assumes one row per person: a
// person present under several identifiers (work and personal email are kept
// apart on purpose) is protected with ε times their number of rows (group
// privacy). Row-level activation output is not a count and gets no noise; the
// k threshold and consent rules govern it.
//
// The budget of an advertiser–partner pair is a rolling Window: Spent sums the
// epsilons released within it and Fits decides whether another release is
// allowed. Persisting the spends is the store's job.
package dp
