package main

import (
	"fmt"
	"time"

	"github.com/blindjoin/blindjoin/partner/report"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// resultsOutput is the JSON of `blindjoin results`: the API's results
// without the activation records, which index a shuffled upload and are
// only useful to `blindjoin match` (it maps them to activation.csv).
type resultsOutput struct {
	SessionID string   `json:"session_id"`
	Role      api.Role `json:"role"`
	K         int64    `json:"k"`
	Overlap   *int64   `json:"overlap"`
	// OverlapByKey is the pairs each round of the waterfall linked (a
	// one-key session's one round is its overlap); null when suppressed.
	OverlapByKey []api.KeyPairs    `json:"overlap_by_key"`
	MatchRate    api.MatchRates    `json:"match_rate"`
	Segments     map[string]*int64 `json:"segments"`
	DPEpsilon    *float64          `json:"dp_epsilon,omitempty"`
	Activation   *activationCount  `json:"activation,omitempty"`
	ComputedAt   time.Time         `json:"computed_at"`
}

type activationCount struct {
	Rows     int64    `json:"rows"`
	Segments []string `json:"segments"`
}

func runResults(args []string, std stdio) int {
	fs, r := remoteFlags("results", std)
	cl, code := r.connectToSession(std, fs, args, "blindjoin results ID [--json]")
	if cl == nil {
		return code
	}
	defer cl.stop()
	s, p, err := cl.session()
	if err != nil {
		return r.fail(std, err, "")
	}
	if s.State != api.StateComputed && s.State != api.StatePurged {
		return r.fail(std, fmt.Errorf("no results yet: the session is %s (`blindjoin match` runs a party's side and waits for them)", s.State), "")
	}
	res, activationRows, err := cl.client.Results(cl.ctx, s.ID)
	if err != nil {
		return r.fail(std, err, "")
	}
	out := resultsOutput{SessionID: res.SessionID, Role: res.Role, K: p.K, Overlap: res.Overlap, OverlapByKey: res.OverlapByKey.Rounds,
		MatchRate: res.MatchRate, Segments: res.Segments, DPEpsilon: res.DPEpsilon, ComputedAt: res.ComputedAt}
	if out.Segments == nil {
		out.Segments = map[string]*int64{}
	}
	if a := res.Activation; a != nil {
		out.Activation = &activationCount{Rows: activationRows, Segments: a.Segments}
	}
	if *r.json {
		return printJSON(std, out)
	}
	fmt.Fprintf(std.out, "session     %s (you are the %s; computed %s)\n", res.SessionID, wording.Role(res.Role), res.ComputedAt.Local().Format(time.DateTime))
	report.Results(std.out, res, p.K)
	if a := out.Activation; a != nil {
		fmt.Fprintf(std.out, "activation  %s rows released in segments %s (activation.csv is written by `blindjoin match`)\n",
			wording.Thousands(a.Rows), report.ListOrNone(a.Segments))
	}
	return exitOK
}
