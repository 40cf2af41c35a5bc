package console

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
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
// activation.csv (Client.Results reads the results as they arrive and
// keeps none of their activation records, whatever their number).
func (s *Server) resultsView(r *http.Request, c *current) (*resultsView, error) {
	res, _, err := s.cfg.Client.Results(r.Context(), c.ID)
	if err != nil {
		return nil, err
	}
	k := c.Policy.K
	v := &resultsView{Overlap: wording.Released(res.Overlap, k), Waterfall: wording.Rounds(res.OverlapByKey, max(len(c.Policy.MatchKeys), 1), k), Computed: res.ComputedAt.Local().Format(time.DateTime)}
	rate := myRate(res)
	if rate != nil {
		v.MatchRate = *rate + " of your rows that counted"
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
	v.Transcript, v.TranscriptOK = s.checkTranscript(r, c, res)
	if sum := loadSummary(s.sessionDir(c.ID)); sum != nil && sum.ActivationRows != nil {
		v.Activation, v.ActivationRows = true, wording.Thousands(*sum.ActivationRows)
	}
	v.CompareRows, v.Compare = s.compare(r, c)
	return v, nil
}

// myRate is the caller's own match rate.
func myRate(res api.Results) *string {
	if res.Role == api.RoleMediaPartner {
		return res.MatchRate.MediaPartner
	}
	return res.MatchRate.Advertiser
}

// checkTranscript fetches the session's transcript and checks what this
// party can check: the chain, the signature (with the published key, if
// the console was given it) and the commitment to its own results.
func (s *Server) checkTranscript(r *http.Request, c *current, res api.Results) ([]string, bool) {
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
	switch err := s.checkOwnResults(r, c, res.Role, t); {
	case errors.Is(err, transcript.ErrResultMismatch) || errors.Is(err, transcript.ErrResultNotRecorded):
		lines, ok = append(lines, "your results are NOT those the transcript commits to"), false
	case err != nil:
		lines, ok = append(lines, "your results could not be checked against the transcript: "+explain(err)), false
	default:
		lines = append(lines, "your results are those the transcript's computed event commits to")
	}
	return lines, ok
}

// checkOwnResults checks the caller's results against t's commitment, as
// `blindjoin audit verify --results` does (partner/audit, reading the
// results one activation record at a time): results.json, if a run of
// this console wrote it, else the results downloaded again to a
// temporary file, no larger than what the upload the session reports for
// this party allows.
func (s *Server) checkOwnResults(r *http.Request, c *current, role api.Role, t transcript.Transcript) error {
	path := filepath.Join(s.sessionDir(c.ID), "results.json")
	if _, err := os.Stat(path); err != nil {
		f, err := os.CreateTemp(s.cfg.WorkDir, ".results-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		uploaded := c.Uploads.Advertiser.BlindedRecords
		if role == api.RoleMediaPartner {
			uploaded = c.Uploads.MediaPartner.BlindedRecords
		}
		if _, err := s.cfg.Client.DownloadResults(r.Context(), c.ID, f, api.ResultsSizeLimit(int64(min(uploaded, math.MaxInt64)))); err != nil {
			return err
		}
		path = f.Name()
	}
	_, err := audit.ResultsFile(path, t)
	return err
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
		res, _, err := s.cfg.Client.Results(r.Context(), o.ID)
		if err != nil {
			// A session whose results cannot be read is left out of the
			// comparison; the page it belongs to says why.
			continue
		}
		row := compareRow{ID: o.ID, Label: labels[o.ID], Date: o.CreatedAt.Local().Format(time.DateOnly),
			Overlap: wording.Released(res.Overlap, c.Policy.K), Current: o.ID == c.ID, Rate: "suppressed"}
		if rate := myRate(res); rate != nil {
			row.Rate = *rate
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
