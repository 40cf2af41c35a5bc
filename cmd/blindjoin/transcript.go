package main

import (
	"fmt"
	"os"

	"github.com/blindjoin/blindjoin/protocol/transcript"
)

func runSessionTranscript(args []string, std stdio) int {
	fs, r := remoteFlags("session transcript", std)
	out := fs.String("out", "", "write the transcript to `file` instead of stdout")
	cl, code := r.connectToSession(std, fs, args, "blindjoin session transcript ID [--out FILE]")
	if cl == nil {
		return code
	}
	defer cl.stop()
	c, ctx := cl.client, cl.ctx
	raw, err := c.Transcript(ctx, cl.id)
	if err != nil {
		return r.fail(std, err, "")
	}
	if *out == "" {
		// The transcript is JSON already: printed as sent, byte for byte.
		if _, err := std.out.Write(append(raw, '\n')); err != nil {
			return r.fail(std, err, "")
		}
		return exitOK
	}
	// Saved as sent too; parsing here only describes it. Verification
	// needs the clean room's key, which the auditor holds, not the server.
	t, err := transcript.ParseTranscript(raw)
	if err != nil {
		return r.fail(std, fmt.Errorf("the clean room sent an unreadable transcript: %w", err), "")
	}
	if err := os.WriteFile(*out, raw, 0o644); err != nil {
		return r.fail(std, err, "")
	}
	if *r.json {
		return printJSON(std, map[string]any{"path": *out, "session_id": t.SessionID, "events": len(t.Events), "key_id": t.Head.KeyID})
	}
	fmt.Fprintf(std.out, "wrote %s: session %s, %d events, head signed by key %s\n", *out, t.SessionID, len(t.Events), t.Head.KeyID)
	fmt.Fprintf(std.out, "verify it with: blindjoin audit verify %s --server-key KEY (the clean room's transcript public key)\n", *out)
	return exitOK
}
