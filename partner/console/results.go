package console

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"github.com/blindjoin/blindjoin/partner/audit"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// resultsView is what the clean room released to this party, as the
// results part of the session page shows it.
type resultsView struct {
	Overlap        string // as the CLI prints it: "1,234" or "suppressed (< 50)"
	Waterfall      string // a multi-key session's rounds, as the CLI prints them
	MatchRate      string // "37% of your rows that counted", or why not
	Venn           venn
	Segments       *bars // advertiser only
	Noise          string
	Computed       string
	Transcript     []string // what was checked, one line each
	TranscriptOK   bool
	Activation     bool // activation.csv is on this machine
	ActivationRows string
	Compare        *bars
	CompareRows    []compareRow
}

type compareRow struct {
	ID, Label, Date, Overlap, Rate string
	Current                        bool
}

// maxCompared bounds the sessions the comparison fetches results for.
const maxCompared = 12

// resultsView shows what was released; the activation rows stay in
// activation.csv, and the results in results.json, read once
// (resultsFigures), whose figures alone are kept.
func (s *Server) resultsView(r *http.Request, c *current) (*resultsView, error) {
	res, err := s.resultsFigures(r.Context(), c.ID, uploadedBy(c.Session, c.Me.Party))
	if err != nil {
		return nil, err
	}
	k := c.Policy.K
	v := &resultsView{Overlap: wording.Released(res.Overlap, k), Waterfall: wording.Rounds(res.OverlapByKey, max(len(c.Policy.MatchKeys), 1), k), Computed: res.ComputedAt.Local().Format(time.DateTime)}
	if res.MatchRate != nil {
		v.MatchRate = *res.MatchRate + " of your rows that counted"
	} else {
		v.MatchRate = "suppressed (the overlap is)"
	}
	mine, theirs := c.Uploads.Advertiser.BlindedRecords, c.Uploads.MediaPartner.BlindedRecords
	if res.Role == api.RoleMediaPartner {
		mine, theirs = theirs, mine
	}
	v.Venn = newVenn("you ("+c.Me.Party+")", c.counterpart(), int64(mine), int64(theirs), res.Overlap, k)
	if res.Role == api.RoleAdvertiser && len(c.Segments) > 0 {
		items := make([]barItem, len(c.Segments))
		for i, name := range c.Segments {
			items[i] = barItem{Name: name, Value: res.Segments[name]}
		}
		b := newBars("Matched people per segment; counts below "+wording.Thousands(k)+" are suppressed", items, k)
		v.Segments = &b
	}
	if res.DPEpsilon != nil {
		v.Noise = fmt.Sprintf("Differential-privacy noise is on (epsilon %g): the counts are noisy on purpose.", *res.DPEpsilon)
	}
	v.Transcript, v.TranscriptOK = s.checkTranscript(r, c)
	if sum := loadSummary(s.sessionDir(c.ID)); sum != nil && sum.ActivationRows != nil {
		v.Activation, v.ActivationRows = true, wording.Thousands(*sum.ActivationRows)
	}
	v.CompareRows, v.Compare = s.compare(r, c)
	return v, nil
}

// uploadedBy is the records party uploaded to session o: its results
// hold at most one activation record for each (api.ResultsSizeLimit).
func uploadedBy(o api.Session, party string) int64 {
	n := o.Uploads.Advertiser.BlindedRecords
	if party == o.Partner {
		n = o.Uploads.MediaPartner.BlindedRecords
	}
	return int64(min(n, math.MaxInt64))
}

// checkTranscript fetches the session's transcript and checks what this
// party can check: the chain, the signature (with the published key, if
// the console was given it) and the commitment to its own results.
func (s *Server) checkTranscript(r *http.Request, c *current) ([]string, bool) {
	raw, err := s.cfg.Client.Transcript(r.Context(), c.ID)
	if err != nil {
		return []string{"the transcript could not be fetched: " + explain(err)}, false
	}
	t, err := transcript.ParseTranscript(raw)
	if err != nil {
		return []string{"the transcript does not parse: " + err.Error()}, false
	}
	var lines []string
	ok := true
	if s.cfg.ServerKey != nil {
		if err := transcript.Verify(t, s.cfg.ServerKey); err != nil {
			return []string{"the transcript does NOT verify against the clean room's published key: " + err.Error()}, false
		}
		lines = append(lines, fmt.Sprintf("chain and signature verified (%d events, key %s)", len(t.Events), t.Head.KeyID))
	} else {
		lines = append(lines, fmt.Sprintf("%d events; the signature was not checked: start the console with --server-key (the key blindjoind prints at start)", len(t.Events)))
		ok = false
	}
	// results.json holds the bytes resultsFigures read, as downloaded: it
	// is checked as `blindjoin audit verify --results` checks it
	// (partner/audit, one activation record at a time).
	switch _, err := audit.ResultsFile(filepath.Join(s.sessionDir(c.ID), resultsFile), t); {
	case errors.Is(err, transcript.ErrResultMismatch) || errors.Is(err, transcript.ErrResultNotRecorded):
		lines, ok = append(lines, "your results are NOT those the transcript commits to"), false
	case err != nil:
		lines, ok = append(lines, "your results could not be checked against the transcript: "+explain(err)), false
	default:
		lines = append(lines, "your results are those the transcript's computed event commits to")
	}
	return lines, ok
}

// compare lists the overlap and match rate of the same pair's computed
// sessions, oldest first.
func (s *Server) compare(r *http.Request, c *current) ([]compareRow, *bars) {
	list, err := s.cfg.Client.ListSessions(r.Context())
	if err != nil {
		return nil, nil
	}
	list = slices.DeleteFunc(list, func(o api.Session) bool {
		return o.Advertiser != c.Advertiser || o.Partner != c.Partner || o.State != api.StateComputed
	})
	slices.SortStableFunc(list, func(a, b api.Session) int { return a.CreatedAt.Compare(b.CreatedAt) })
	if len(list) > maxCompared {
		list = list[len(list)-maxCompared:]
	}
	labels := s.labels()
	var rows []compareRow
	var items []barItem
	for _, o := range list {
		res, err := s.resultsFigures(r.Context(), o.ID, uploadedBy(o, c.Me.Party))
		if err != nil {
			// A session whose results cannot be read is left out of the
			// comparison; the page it belongs to says why.
			continue
		}
		row := compareRow{ID: o.ID, Label: labels[o.ID], Date: o.CreatedAt.Local().Format(time.DateOnly),
			Overlap: wording.Released(res.Overlap, c.Policy.K), Current: o.ID == c.ID, Rate: "suppressed"}
		if res.MatchRate != nil {
			row.Rate = *res.MatchRate
		}
		rows = append(rows, row)
		name := row.Date + " " + o.ID[:6]
		if row.Label != "" {
			name = row.Label
		}
		items = append(items, barItem{Name: name, Value: res.Overlap, Note: "match rate " + row.Rate})
	}
	if len(rows) < 2 {
		return rows, nil
	}
	b := newBars("Overlap of "+c.Advertiser+" × "+c.Partner+" sessions over time", items, c.Policy.K)
	return rows, &b
}
