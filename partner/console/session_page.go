package console

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// previewRows is how many data rows the input preview shows.
const previewRows = 5

// sessionView is the session page's data.
type sessionView struct {
	*current
	Counterpart string
	Policy      []wording.Field
	MayJoin     bool // the media partner may accept the policy now
	MayRun      bool // an input may be picked and run
	// IsAdvertiser is true when this party is the session's advertiser.
	IsAdvertiser bool

	Files   []string
	Input   inputChoice
	Preview *preview
	Pre     *preflightView

	Run     *Status
	Summary *summaryView // the last run's row accounting (summary.json)
	Results *resultsView
}

type preview struct {
	Header []string
	Rows   [][]string
	Error  string
}

type preflightView struct {
	Read, Uploaded, KeptHome string
	Reasons                  []reasonCount
	Unknown                  []reasonCount
	Warnings                 []string // what match would warn about before uploading
	Error                    string
}

type reasonCount struct {
	Reason, Count, Kind string
}

type summaryView struct {
	Read, Uploaded, KeptHome string
	Reasons                  []reasonCount
}

func (s *Server) sessionPage(w http.ResponseWriter, r *http.Request, c *current) {
	v := &sessionView{current: c, Counterpart: c.counterpart(), Policy: wording.Policy(c.Policy),
		IsAdvertiser: c.Me.Party == c.Advertiser}
	v.MayJoin = c.State == api.StateCreated && c.Me.Party == c.Partner
	if run := s.runOf(c.ID); run != nil {
		// A run that ended well shows as its results and rows.
		if st := run.status(waitingFor(c)); st.Outcome == "" {
			v.Run = &st
		}
	}
	running := v.Run != nil && v.Run.Running
	member := c.Me.Party == c.Advertiser || c.Me.Party == c.Partner
	last := loadSummary(s.sessionDir(c.ID))
	hasOutputs := last != nil
	switch c.State {
	case api.StateCreated:
		v.MayRun = v.IsAdvertiser && !running
	case api.StateJoined, api.StateUploading, api.StateExchanging:
		v.MayRun = member && !running
	case api.StateComputed:
		// A media partner that ran elsewhere, or was interrupted before
		// writing its outputs, may still map its activation rows here.
		v.MayRun = !running && !hasOutputs && c.Me.Party == c.Partner
	}
	if v.MayRun {
		v.Files = s.inputFiles()
		v.Input = choiceFrom(r.URL.Query().Get)
		if v.Input.File != "" {
			v.Preview = s.preview(v.Input)
			if v.Input.IDColumn != "" && v.Preview.Error == "" {
				v.Pre = s.preflight(r, c, v.Input)
			}
		}
	}
	if hasOutputs {
		v.Summary = rowsOf(last)
	}
	if member && (c.State == api.StateComputed || c.State == api.StatePurged) {
		res, err := s.resultsView(r, c)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Results = res
	}
	title := c.Label
	if title == "" {
		title = "Session " + c.ID[:8]
	}
	s.render(w, r, "session.html", http.StatusOK, page{Title: title, Data: v})
}

// preview reads the header and first rows of the picked file.
func (s *Server) preview(in inputChoice) *preview {
	path, err := s.inputPath(in.File)
	if err != nil {
		return &preview{Error: err.Error()}
	}
	f, err := os.Open(path)
	if err != nil {
		return &preview{Error: "cannot open " + in.File + ": " + errors.Unwrap(err).Error()}
	}
	defer f.Close()
	rd := csv.NewReader(f)
	rd.FieldsPerRecord = -1
	p := &preview{}
	for i := 0; i <= previewRows; i++ {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.Error = "the file does not read as CSV: " + err.Error()
			break
		}
		if i == 0 {
			p.Header = slices.Clone(rec)
			if len(p.Header) > 0 {
				p.Header[0] = strings.TrimPrefix(p.Header[0], "\ufeff")
			}
			continue
		}
		p.Rows = append(p.Rows, slices.Clone(rec))
	}
	if p.Error == "" && len(p.Header) == 0 {
		p.Error = "the file is empty: it needs a header row"
	}
	return p
}

// preflight reads the whole file as a run would (flow.Preflight).
func (s *Server) preflight(r *http.Request, c *current, in inputChoice) *preflightView {
	role := api.RoleAdvertiser
	if c.Me.Party == c.Partner {
		role = api.RoleMediaPartner
	}
	path, err := s.inputPath(in.File)
	if err != nil {
		return &preflightView{Error: err.Error()}
	}
	plan, err := flow.PlanOf(c.Session, role)
	if err != nil {
		return &preflightView{Error: err.Error()}
	}
	sum, warnings, err := flow.Preflight(r.Context(), flow.Options{Input: path,
		Columns: columnsOf(in), DefaultRegion: in.Region, Hashed: in.Hashed}, plan)
	v := &preflightView{}
	if err != nil {
		v.Error = err.Error()
		return v
	}
	for _, w := range warnings {
		v.Warnings = append(v.Warnings, w.Message)
	}
	v.Read, v.Uploaded, v.KeptHome = wording.Thousands(sum.Rows.Read), wording.Thousands(sum.Rows.Uploaded), wording.Thousands(sum.Rows.Rejected)
	v.Reasons = reasons(sum.Rejected)
	for _, name := range slices.Sorted(maps.Keys(sum.UnknownSegments)) {
		v.Unknown = append(v.Unknown, reasonCount{Reason: name, Count: wording.Thousands(sum.UnknownSegments[name])})
	}
	return v
}

// kindWords says why a kind of rejected row stays home.
var kindWords = map[flow.RejectKind]string{
	flow.RejectConsent:    "no lawful basis under the policy's count rule: the row never leaves this machine",
	flow.RejectIdentifier: "the identifier does not normalize: it cannot match anyone",
	flow.RejectDuplicate:  "the same identifier is on an earlier row, which keeps it",
	flow.RejectCSV:        "the row does not read as CSV",
}

// reasons lists rejection reasons, most frequent first, with why.
func reasons(byReason map[string]int64) []reasonCount {
	names := wording.ByCount(byReason)
	out := make([]reasonCount, len(names))
	for i, n := range names {
		out[i] = reasonCount{Reason: n, Count: wording.Thousands(byReason[n]), Kind: kindWords[flow.KindOf(n)]}
	}
	return out
}

// loadSummary reads the summary.json a run wrote in dir; nil if none.
func loadSummary(dir string) *flow.Summary {
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil
	}
	var sum flow.Summary
	if json.Unmarshal(data, &sum) != nil {
		return nil
	}
	return &sum
}

// rowsOf words a run's row accounting.
func rowsOf(sum *flow.Summary) *summaryView {
	return &summaryView{Read: wording.Thousands(sum.Rows.Read), Uploaded: wording.Thousands(sum.Rows.Uploaded),
		KeptHome: wording.Thousands(sum.Rows.Rejected), Reasons: reasons(sum.Rejected)}
}
