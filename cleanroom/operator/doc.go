// Package operator implements the commands of blindjoind, the clean-room
// operator's binary: serving the API and the web console, registering and
// revoking parties, creating console operators, and rotating the
// token-signing key. cmd/blindjoind only parses flags and calls
// these functions, so everything here is testable without a process.
//
// Every command works on one data directory, private to the operator
// (mode 0700):
//
//	DIR/blindjoin.db              SQLite store (parties, sessions, transcripts)
//	DIR/keys/token-signing.json   access-token signing keyring (cleanroom/auth)
//	DIR/server-secret             relay and noise secret (cleanroom/session)
//	DIR/transcript-signing.pem    transcript signing key (cleanroom/session)
//	DIR/parts/                    uploaded and relayed part files
//	DIR/serve.lock                held (flock) by the one server of DIR, holds its PID
//	DIR/console-operators.json    web-console operator credentials, hashed (cleanroom/console)
//
// A Location moves parts of this elsewhere (docs/OPERATIONS.md): the store
// to PostgreSQL (Location.Store), the part files to an S3 bucket
// (Location.Blobs), the keyring and the two secrets to a keys directory
// that several hosts mount (Location.Keys, made by InitKeys). On
// PostgreSQL any number of serve replicas (Start) and workers (Work) share
// one database, bucket and keys directory: the background work is leased
// jobs (cleanroom/jobs), which any of them runs.
//
// One server per data directory: serve locks DIR/serve.lock before it opens
// anything, and a second serve exits naming the holder's PID. Two API
// servers on one SQLite file would contend for its one writer, and a
// second serve there is an operator's mistake worth reporting; a worker
// (Work) beside the server is how to add a process, and takes no lock.
// The party and key commands may run while the server does: SQLite
// serializes the writers, and the server's keyring notices a rotation by
// itself within a second.
package operator
