package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/transcript"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

func init() {
	register("audit verify", "verify a session transcript's hash chain, signature and your uploads' digests", runAuditVerify)
}

// repeated collects a flag given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

func runAuditVerify(args []string, io stdio) int {
	fs := newFlags("audit verify", io)
	serverKey := fs.String("server-key", "", "the clean room's transcript public key (hex or base64), as blindjoind prints it at start")
	var uploads repeated
	fs.Var(&uploads, "upload", "a part file this party uploaded; its digest must be in the transcript (repeatable)")
	pos, code, ok := parseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || *serverKey == "" {
		fmt.Fprintln(io.err, "usage: blindjoin audit verify FILE --server-key KEY [--upload PART_FILE]...")
		return exitUsage
	}
	pub, err := transcript.ParsePublicKey(*serverKey)
	if err != nil {
		fmt.Fprintf(io.err, "blindjoin audit verify: --server-key: %v\n", err)
		return exitUsage
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(io.err, "blindjoin audit verify: %v\n", err)
		return exitFail
	}
	t, err := transcript.ParseTranscript(data)
	if err == nil {
		err = transcript.Verify(t, pub)
	}
	if err != nil {
		fmt.Fprintf(io.out, "FAILED %s: %v\n", pos[0], err)
		return exitFail
	}
	fmt.Fprintf(io.out, "ok     %s: session %s, %d events, head signed by key %s\n", pos[0], t.SessionID, len(t.Events), t.Head.KeyID)

	failed := 0
	digests := t.PartDigests()
	for _, path := range uploads {
		msg, err := checkUpload(path, t.SessionID, digests)
		if err != nil {
			failed++
			fmt.Fprintf(io.out, "FAILED %s: %v\n", path, err)
			continue
		}
		fmt.Fprintf(io.out, "ok     %s: %s\n", path, msg)
	}
	if failed > 0 {
		fmt.Fprintf(io.out, "%d of %d uploads not found in the transcript\n", failed, len(uploads))
		return exitFail
	}
	return exitOK
}

// checkUpload decodes a part file completely (so its digest is the verified
// trailer hash) and looks for that digest under the part's kind and index.
func checkUpload(path, sessionID string, digests map[transcript.PartKey]string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r, err := wire.NewReader(f)
	if err != nil {
		return "", err
	}
	for {
		if _, err := r.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", err
		}
	}
	h := r.Header()
	if got := hex.EncodeToString(h.Session[:]); got != sessionID {
		return "", fmt.Errorf("part belongs to session %s, not %s", got, sessionID)
	}
	var eventType string
	switch h.Kind {
	case wire.KindBlinded:
		eventType = transcript.TypePartUploaded
	case wire.KindJoin:
		eventType = transcript.TypeReblindedUploaded
	default:
		return "", fmt.Errorf("a %s part is not something a party uploads", h.Kind)
	}
	digest := r.Digest()
	want := hex.EncodeToString(digest[:])
	part := strconv.FormatUint(uint64(h.Part), 10)
	for key, got := range digests {
		if key.Type == eventType && key.Part == part && got == want {
			return fmt.Sprintf("%s part %s of %s, %d records, digest recorded", h.Kind, part, key.Side, r.Records()), nil
		}
	}
	return "", fmt.Errorf("digest of %s part %s is not in the transcript", h.Kind, part)
}
