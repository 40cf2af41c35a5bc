// Package bench measures the whole system on this machine: one session of
// synthetic audiences through the real stack, with the clean room and both
// parties as separate processes, against the floor of the cryptography.
//
// Run writes the two parties' files (partner/synth) and computes what the
// session must find from the plaintext, starts the clean room
// (operator.Start) and both parties (flow.Run, as `blindjoin match` runs
// it) as child processes of the calling binary, so that the kernel accounts
// CPU time and peak memory to each, and measures the floor (BlindBatch then
// ReblindBatch alone, with the production backend, pinned like the session)
// before and after the session, and beside it the portable backend's floor
// (blind.Key.Portable), so that one run shows what the fast backend gains. Every released figure and activation row
// is compared with the truth (demo.Check); a run that is not exact says so
// in its Report.
//
// The binary that calls Run (cmd/blindjoin-bench) must call ChildMain
// first: the children are that binary run with a hidden first argument.
package bench
