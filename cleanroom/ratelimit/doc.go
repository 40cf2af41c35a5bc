// Package ratelimit holds in-memory token buckets keyed by a string (a party
// name), so that one party cannot monopolize the clean room by creating
// sessions or uploading parts in a tight loop.
//
// A bucket holds up to Burst tokens and gains Rate tokens per second; each
// allowed call takes one token. A caller that finds the bucket empty learns
// how long until the next token arrives, which the HTTP layer sends as
// Retry-After. Buckets live in memory only: a restart forgives everyone,
// which is acceptable for a limit that protects capacity, not secrets.
//
// Time is injected so tests are deterministic; the package starts no
// goroutine. A full bucket carries no information (it is what a new key
// would get), so full buckets are dropped from time to time to keep memory
// bounded by the number of recently active keys.
package ratelimit
