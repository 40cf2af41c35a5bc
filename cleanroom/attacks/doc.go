// Package attacks holds the clean room's attack suite: tests only, each
// named after the attack it tries, run by "go test" like any other test.
//
// The suite attacks the service the way a hostile party or a hostile
// network client would: over HTTP on a loopback port, against the real
// wiring of "blindjoind serve" (operator.Serve, in-process) or against the
// real binary (the crash tests build cmd/blindjoind and kill it with
// SIGKILL). Requests are crafted by hand with net/http, net and the
// protocol packages (wire parts, blinded elements, hand-built JWTs); the
// party SDK is deliberately not used, so that nothing a client library
// does on the party's behalf can hide a server-side gap.
//
// Each attack checks that the server refuses it (a stable error code),
// suppresses what it would reveal (a null count), or detects it, and, where
// the protocol cannot detect an attack (a party re-blinding with another
// key), pins down what happens so that SECURITY.md stays true.
//
// Every secret a test uses or derives (API keys, access tokens,
// identifiers, digests, blinded elements, join digests, party keys, TC
// strings) is recorded, and TestMain scans the log output of every server
// the suite ran for all of them once the tests are done: a hit fails the
// package. Part of this package's value is that check, which covers the
// error paths the attacks reach and ordinary tests do not.
//
// The default floor (min_rows 1000, k 50) applies to the shared server, so
// honest sessions here use at least 1000 rows a side; a full session costs
// about 0.2 s of CPU. The slowest tests (the SIGKILL ones, which build the
// binary) are skipped with -short.
package attacks
