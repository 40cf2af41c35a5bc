package main

import (
	"cmp"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/protocol/api"
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
	resultsPath := fs.String("results", "", "this party's results (`file` results.json that `blindjoin match` writes); they must open the transcript's commitment")
	pos, code, ok := parseOrUsage(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || *serverKey == "" {
		fmt.Fprintln(std.err, "usage: blindjoin audit verify FILE --server-key KEY [--upload PART_FILE]... [--results RESULTS_FILE]")
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
	if errors.Is(err, transcript.ErrSignature) {
		err = signatureMismatch(err, t.Head.KeyID, pub)
	}
	if err != nil {
		fmt.Fprintf(std.out, "FAILED %s: %v\n", pos[0], err)
		return exitFail
	}
	fmt.Fprintf(std.out, "ok     %s: session %s, %d events, head signed by key %s\n", pos[0], t.SessionID, len(t.Events), t.Head.KeyID)
	writeTimeline(std.out, t.Events)

	failed := 0
	report := func(what, msg string, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(std.out, "FAILED %s: %v\n", what, err)
			return
		}
		fmt.Fprintf(std.out, "%s\n", msg)
	}
	for _, path := range uploads {
		msg, err := checkUpload(path, t)
		report(path, "ok     "+path+": "+msg, err)
	}
	msg, err := checkCommitments(t)
	report("results", msg, err)
	if *resultsPath != "" {
		msg, err := checkResultsFile(*resultsPath, t)
		report(*resultsPath, "ok     "+*resultsPath+": "+msg, err)
	}
	if failed > 0 {
		fmt.Fprintf(std.out, "%d check(s) failed\n", failed)
		return exitFail
	}
	return exitOK
}

// signatureMismatch says which key signed a head that the given key does
// not verify: another key (the operator rotated it, or this is another
// clean room's transcript), or the same key id, hence an altered head.
func signatureMismatch(err error, signedBy string, given ed25519.PublicKey) error {
	givenID := transcript.KeyID(given)
	if signedBy != givenID {
		return fmt.Errorf("%w: the head was signed by key %s, and the key given (--server-key) is %s: ask the operator for the public key of %s (blindjoind keys show)", err, signedBy, givenID, signedBy)
	}
	return fmt.Errorf("%w: the head names the key given (%s) but its signature does not verify: the head was altered", err, givenID)
}

// maxFactLen is the longest data value the timeline shows whole; digests
// and commitments are shortened.
const maxFactLen = 24

// writeTimeline writes one line per event: time, actor, type, and its
// data as key=value facts, in key order.
func writeTimeline(w io.Writer, events []transcript.Event) {
	fmt.Fprintln(w, "timeline")
	for _, e := range events {
		facts := make([]string, 0, len(e.Data))
		for _, k := range slices.Sorted(maps.Keys(e.Data)) {
			v := e.Data[k]
			if len(v) > maxFactLen {
				v = v[:maxFactLen/2] + "…"
			}
			facts = append(facts, k+"="+v)
		}
		fmt.Fprintf(w, "  %3d  %s  %-12s %-20s %s\n", e.Seq, e.Time.UTC().Format("2006-01-02 15:04:05"), e.Actor, e.Type, strings.Join(facts, " "))
	}
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

// checkCommitments is what anyone can check of the results without them:
// the computed event, if any, commits to both parties' results. A
// transcript recorded before commitments is reported, not failed: its
// history is signed and cannot be rewritten.
func checkCommitments(t transcript.Transcript) (string, error) {
	_, err := t.ResultCommitments()
	switch {
	case errors.Is(err, transcript.ErrNotComputed):
		return "--     results: the session has not been computed; no results to check", nil
	case errors.Is(err, transcript.ErrLegacyResultDigest):
		return "note   results: recorded as unsalted digests by a clean room older than result commitments; " +
			"the media partner can recover the advertiser's segment counts from them", nil
	case err != nil:
		return "", err
	}
	return "ok     results: the computed event commits to both parties' results; only their owner can open each commitment (--results)", nil
}

// checkResultsFile checks a party's results file, as the clean room released
// it, against the commitment of the transcript for that party.
func checkResultsFile(path string, t transcript.Transcript) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields() // a field the commitment does not cover must not pass unnoticed
	var res api.Results
	if err := dec.Decode(&res); err != nil || dec.More() {
		return "", fmt.Errorf("not the results JSON the clean room releases (results.json of `blindjoin match`): %w", cmp.Or(err, errors.New("data after the results")))
	}
	if res.SessionID != t.SessionID {
		return "", fmt.Errorf("these are the results of session %q, the transcript is of session %s", res.SessionID, t.SessionID)
	}
	if res.Role != api.RoleAdvertiser && res.Role != api.RoleMediaPartner {
		return "", fmt.Errorf("these results are for role %q; only the advertiser's and the media partner's are committed to", res.Role)
	}
	nonce, err := hex.DecodeString(res.ResultNonce)
	if err != nil {
		return "", errors.New("result_nonce is not hex")
	}
	committed, err := res.CommittedJSON()
	if err != nil {
		return "", err
	}
	if err := t.CheckResult(string(res.Role), nonce, committed); err != nil {
		return "", err
	}
	if len(nonce) == 0 {
		return fmt.Sprintf("%s results match the unsalted digest of a transcript from before result commitments", res.Role), nil
	}
	return fmt.Sprintf("%s results are those the computed event commits to", res.Role), nil
}
