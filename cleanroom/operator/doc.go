// Package operator implements the commands of blindjoind, the clean-room
// operator's binary: serving the API, registering and revoking parties, and
// rotating the token-signing key. cmd/blindjoind only parses flags and calls
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
//
// The party and key commands may run while the server does: SQLite
// serializes the writers, and the server's keyring notices a rotation by
// itself within a second.
package operator
