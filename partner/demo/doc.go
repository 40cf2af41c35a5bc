// Package demo runs both parties of a clean-room session on synthetic
// audiences and checks what each learned against the plaintext truth:
// everything `blindjoin demo` does except starting the clean room, which a
// partner package may not import (cmd/blindjoin starts one and hands over
// two clients).
//
//	synth.Dataset ──> crm.csv (advertiser dir)     audience.csv (partner dir)
//	advertiser: create the session with the dataset's segments
//	media partner: read the session, check its policy hash, join
//	both, concurrently: flow.Run, as two separate users would
//	          (own client, own key store, own output directory)
//	synth.Truth ──> Check(truth, policy, summaries, activation.csv)
//
// The parties share nothing but the clean room: each has its own API key,
// its own directory and its own session key, and the only data that
// crosses between them is what the clean room relays.
//
// Check compares the released figures with the truth the way the clean
// room's policy says they should look: a count below k must be suppressed
// (null), a match rate must be the policy's rounding of the exact overlap
// over the rows that counted, and activation.csv must hold exactly the
// rows of synth.Truth.Released(k). It needs exact counts, so it refuses a
// policy with differential-privacy noise.
package demo
