package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

func runAuditVerify(args []string, std stdio) int {
	fs := newFlags("audit verify", std)
	serverKey := fs.String("server-key", "", "the clean room's transcript public key (hex or base64), as blindjoind prints it at start")
	var uploads repeated
	fs.Var(&uploads, "upload", "a part file this party uploaded; its digest must be in the transcript (repeatable)")
	pos, code, ok := parseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || *serverKey == "" {
		fmt.Fprintln(std.err, "usage: blindjoin audit verify FILE --server-key KEY [--upload PART_FILE]...")
		return exitUsage
	}
	pub, err := transcript.ParsePublicKey(*serverKey)
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin audit verify: --server-key: %v\n", err)
		return exitUsage
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(std.err, "blindjoin audit verify: %v\n", err)
		return exitFail
	}
	t, err := transcript.ParseTranscript(data)
	if err == nil {
		err = transcript.Verify(t, pub)
	}
	if err != nil {
		fmt.Fprintf(std.out, "FAILED %s: %v\n", pos[0], err)
		return exitFail
	}
	fmt.Fprintf(std.out, "ok     %s: session %s, %d events, head signed by key %s\n", pos[0], t.SessionID, len(t.Events), t.Head.KeyID)

	failed := 0
	for _, path := range uploads {
		msg, err := checkUpload(path, t)
		if err != nil {
			failed++
			fmt.Fprintf(std.out, "FAILED %s: %v\n", path, err)
			continue
		}
		fmt.Fprintf(std.out, "ok     %s: %s\n", path, msg)
	}
	if failed > 0 {
		fmt.Fprintf(std.out, "%d of %d uploads not found in the transcript\n", failed, len(uploads))
		return exitFail
	}
	return exitOK
}

// checkUpload finds one part file of this party in the transcript.
func checkUpload(path string, t transcript.Transcript) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	u, err := t.FindUpload(f)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s part %d of %s, %d records, digest recorded", u.Kind, u.Part, u.Side, u.Records), nil
}
