package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/blindjoin/blindjoin/internal/demo"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/report"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// describeDemo writes what each side learned, how rows were excluded,
// and the checks against the truth.
func describeDemo(w io.Writer, r *demo.Report) {
	fmt.Fprintf(w, "\nsession %s, policy %s (k = %d)\n", r.SessionID, r.PolicyHash, r.K)
	for _, side := range []struct {
		title string
		s     flow.Summary
		in    string
	}{
		{"What the advertiser (" + demo.Advertiser + ") learned", r.Advertiser, r.AdvertiserCSV},
		{"What the media partner (" + demo.Partner + ") learned", r.MediaPartner, r.PartnerCSV},
	} {
		fmt.Fprintf(w, "\n%s\ninput       %s\n", side.title, side.in)
		report.Rows(w, side.s)
		report.Results(w, api.Results{Role: side.s.Role, Overlap: side.s.Overlap, OverlapByKey: api.Rounds(side.s.OverlapByKey),
			MatchRate: side.s.MatchRate, Segments: side.s.Segments}, r.K)
		if side.s.ActivationRows != nil {
			fmt.Fprintf(w, "activation  %s rows, with their segments, in %s\n", wording.Thousands(*side.s.ActivationRows), r.ActivationFile)
		}
	}
	fmt.Fprintln(w)
	switch {
	case r.Verification.OK() && len(r.Advertiser.Keys) > 0:
		fmt.Fprintf(w, "verified against ground truth: %d checks (rows uploaded, overlap, the pairs of each round, match rates, segment counts, activation rows) equal the plaintext computation of the rules\n", len(r.Verification.Checked))
	case r.Verification.OK():
		fmt.Fprintf(w, "verified against ground truth: %d checks (row accounting, overlap, match rates, segment counts, every activation row) equal the plaintext computation\n", len(r.Verification.Checked))
	default:
		fmt.Fprintf(w, "NOT equal to the ground truth:\n  %s\n", strings.Join(r.Verification.Mismatches, "\n  "))
	}
	if r.TranscriptCheck == "ok" {
		fmt.Fprintf(w, "transcript  hash chain and signature verified: %s\n", r.Transcript)
	} else {
		fmt.Fprintf(w, "transcript  FAILED: %s\n", r.TranscriptCheck)
	}
	fmt.Fprintf(w, "time        %.1f s wall, %.1f s CPU (data %.1f s, session %.1f s, truth %.1f s); the clean room is stopped\n",
		r.Seconds["wall"], r.Seconds["cpu"], r.Seconds["generate"], r.Seconds["session"], r.Seconds["truth"])
	fmt.Fprintf(w, "files       %s (inputs, each party's outputs, transcript.json)\n", r.Dir)
}
