// Package keyfile reads and writes the clean room's secret files: the
// Ed25519 private keys and the token-signing keyring.
//
// Three rules hold for every file it touches:
//
//   - Writes are atomic. Data goes to a temporary file in the same directory,
//     is fsynced, and only then takes the final name (rename to replace, hard
//     link to create), after which the directory is fsynced too. A crash
//     leaves either the old file or the new one, never half of either.
//     internal/atomicfile does this for every writer in the module.
//   - Creation is exclusive. Two processes starting at once on an empty data
//     directory agree on one key: the loser of the race loads the winner's.
//   - Reads refuse secrets that other users could have read or replaced: a
//     file whose mode grants anything to group or others is an error naming
//     the path (never the content), so an operator notices a mistaken chmod
//     or a restored backup before the service starts on a leaked key.
//
// Private keys are stored as PEM "PRIVATE KEY" blocks holding PKCS #8 DER
// (RFC 5958, RFC 8410), the format `openssl genpkey -algorithm ed25519`
// writes, and only in that exact canonical form.
package keyfile
