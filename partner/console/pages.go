package console

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// page is what every template receives.
type page struct {
	Title string
	Party string   // this party's name
	Role  api.Role // this party's role
	CSRF  string
	Error string // shown at the top when set
	Data  any
}

// render writes a page; a template error is logged and answered with 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	if id, err := s.cfg.Client.Identity(r.Context()); err == nil {
		p.Party, p.Role = id.Party, id.Role
	}
	p.CSRF = s.csrf
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.pages.ExecuteTemplate(w, name, p); err != nil {
		s.cfg.Logger.Error("rendering a page", "page", name, "error", err)
	}
}

// fail shows err on an error page: the clean room's refusals say why.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	if e, ok := errors.AsType[*client.APIError](err); ok && e.Status == http.StatusNotFound {
		status = http.StatusNotFound
	}
	s.render(w, r, "error.html", status, page{Title: "Something went wrong", Error: explain(err)})
}

// explain words an error for the page: the clean room's refusals with
// their code and message, which never hold a secret (client.APIError).
func explain(err error) string {
	if e, ok := errors.AsType[*client.APIError](err); ok && e.Code != "" {
		return fmt.Sprintf("The clean room refused (%s): %s", e.Code, e.Message)
	}
	return err.Error()
}

// sessionRow is one line of the sessions list.
type sessionRow struct {
	ID, Label, State, Counterpart, MyRole, Created, Hint string
}

func (s *Server) sessionsPage(w http.ResponseWriter, r *http.Request) {
	me, err := s.cfg.Client.Identity(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.cfg.Client.ListSessions(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slices.SortStableFunc(list, func(a, b api.Session) int { return b.CreatedAt.Compare(a.CreatedAt) })
	labels := s.labels()
	var rows, proposals []sessionRow
	for _, ss := range list {
		row := sessionRow{ID: ss.ID, Label: labels[ss.ID], State: string(ss.State), Created: ss.CreatedAt.Local().Format(time.DateTime)}
		switch me.Party {
		case ss.Advertiser:
			row.MyRole, row.Counterpart = "advertiser", ss.Partner
		case ss.Partner:
			row.MyRole, row.Counterpart = "media partner", ss.Advertiser
		default:
			row.MyRole, row.Counterpart = "auditor", ss.Advertiser+" × "+ss.Partner
		}
		row.Hint = stateHint(ss, me.Party)
		if ss.State == api.StateCreated && me.Party == ss.Partner {
			proposals = append(proposals, row)
		}
		rows = append(rows, row)
	}
	s.render(w, r, "sessions.html", http.StatusOK, page{Title: "Sessions", Data: map[string]any{
		"Sessions": rows, "Proposals": proposals, "Advertiser": me.Role == api.RoleAdvertiser,
	}})
}

// stateHint says what a session waits for, from party's point of view.
func stateHint(ss api.Session, party string) string {
	switch ss.State {
	case api.StateCreated:
		if party == ss.Partner {
			return "proposed to you: read the policy and accept it"
		}
		return "waiting for " + ss.Partner + " to accept"
	case api.StateJoined, api.StateUploading:
		return "uploads under way"
	case api.StateExchanging:
		return "re-blinding under way"
	case api.StateComputed:
		return "results ready"
	}
	return "ended"
}

// policyForm holds the propose form's values, as typed.
type policyForm struct {
	Partner, Label, MatchKey, Segments, SegmentsFile, SegmentsColumn, Auditors     string
	MinRows, K, CountPurposes, ActivationPurposes, Granularity, Epsilon, Retention string
}

func defaultPolicyForm() policyForm {
	d := policy.Default()
	return policyForm{MatchKey: api.MatchKeyEmail, SegmentsColumn: "segments",
		MinRows: strconv.FormatInt(d.MinRows, 10), K: strconv.FormatInt(d.K, 10),
		CountPurposes: intsText(d.CountPurposes.AnyOf), ActivationPurposes: intsText(d.ActivationPurposes.AllOf),
		Granularity: string(d.RateGranularity), Retention: strconv.Itoa(d.RetentionDays)}
}

func (s *Server) newPage(w http.ResponseWriter, r *http.Request) {
	s.renderNew(w, r, defaultPolicyForm(), "", http.StatusOK)
}

func (s *Server) renderNew(w http.ResponseWriter, r *http.Request, f policyForm, msg string, status int) {
	s.render(w, r, "new.html", status, page{Title: "Propose a session", Error: msg, Data: map[string]any{
		"Form": f, "Defaults": defaultPolicyForm(), "Files": s.inputFiles(),
		"MatchKeys": []string{api.MatchKeyEmail, api.MatchKeyPhone, api.MatchKeyMAID},
	}})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	f := policyForm{}
	for name, dst := range map[string]*string{
		"partner": &f.Partner, "label": &f.Label, "match_key": &f.MatchKey, "segments": &f.Segments,
		"segments_file": &f.SegmentsFile, "segments_column": &f.SegmentsColumn, "auditors": &f.Auditors,
		"min_rows": &f.MinRows, "k": &f.K, "count_purposes": &f.CountPurposes, "activation_purposes": &f.ActivationPurposes,
		"rate_granularity": &f.Granularity, "dp_epsilon": &f.Epsilon, "retention_days": &f.Retention,
	} {
		*dst = strings.TrimSpace(r.PostFormValue(name))
	}
	req, label, err := s.proposal(f)
	if err != nil {
		s.renderNew(w, r, f, err.Error(), http.StatusBadRequest)
		return
	}
	ss, err := s.cfg.Client.CreateSession(r.Context(), req)
	if err != nil {
		msg := explain(err)
		if client.IsCode(err, api.CodePolicyViolation) {
			msg += " A session may make the clean room's floor policy stricter, never looser."
		}
		s.renderNew(w, r, f, msg, http.StatusBadGateway)
		return
	}
	if err := s.setLabel(ss.ID, label); err != nil {
		s.cfg.Logger.Warn("saving a session label", "error", err)
	}
	http.Redirect(w, r, "/sessions/"+ss.ID, http.StatusSeeOther)
}

// proposal turns the form into a session request.
func (s *Server) proposal(f policyForm) (api.CreateSessionRequest, string, error) {
	label, err := cleanLabel(f.Label)
	if err != nil {
		return api.CreateSessionRequest{}, "", err
	}
	if f.Partner == "" {
		return api.CreateSessionRequest{}, "", errors.New("name the media partner (its registered party name)")
	}
	p := policy.Default()
	var errs []error
	num := func(field, v string, dst *int64) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be a whole number", field))
		}
		*dst = n
	}
	num("min_rows", f.MinRows, &p.MinRows)
	num("k", f.K, &p.K)
	var days int64
	num("retention_days", f.Retention, &days)
	p.RetentionDays = int(days)
	if p.CountPurposes.AnyOf, err = parseInts(f.CountPurposes); err != nil {
		errs = append(errs, fmt.Errorf("count purposes: %w", err))
	}
	if p.ActivationPurposes.AllOf, err = parseInts(f.ActivationPurposes); err != nil {
		errs = append(errs, fmt.Errorf("activation purposes: %w", err))
	}
	p.RateGranularity = policy.Granularity(f.Granularity)
	if f.Epsilon != "" {
		eps, err := strconv.ParseFloat(f.Epsilon, 64)
		if err != nil {
			errs = append(errs, errors.New("epsilon must be a number, or empty for no noise"))
		}
		p.DP = &policy.DP{Epsilon: eps}
	}
	if err := errors.Join(errs...); err != nil {
		return api.CreateSessionRequest{}, "", err
	}
	if err := p.Validate(); err != nil {
		return api.CreateSessionRequest{}, "", err
	}
	req := api.CreateSessionRequest{Partner: f.Partner, MatchKey: f.MatchKey, Policy: p.Canonical(),
		Segments: splitList(f.Segments), Auditors: splitList(f.Auditors)}
	if f.SegmentsFile != "" {
		if len(req.Segments) > 0 {
			return req, "", errors.New("give the segments as a list or read them from a file, not both")
		}
		path, err := s.inputPath(f.SegmentsFile)
		if err != nil {
			return req, "", err
		}
		names, err := flow.SegmentNames(path, cmp.Or(f.SegmentsColumn, "segments"), csvin.Options{}, flow.SegmentNamesAsIs)
		if err != nil {
			return req, "", err
		}
		req.Segments = names
	}
	return req, label, nil
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, part := range splitList(s) {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, errors.New("a comma-separated list of TCF purpose numbers")
		}
		out = append(out, n)
	}
	return out, nil
}

func intsText(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// inputFiles lists the CSV files of the input directory.
func (s *Server) inputFiles() []string {
	entries, err := os.ReadDir(s.cfg.InputDir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".csv") {
			out = append(out, e.Name())
		}
	}
	return out
}

// errNotInputFile refuses a file name that is not one of the input
// directory's: a form cannot point the console at another file.
var errNotInputFile = errors.New("not a file name of the input directory")

// inputPath resolves a file name of the pickers in the input directory.
func (s *Server) inputPath(name string) (string, error) {
	if name == "" || name != filepath.Base(name) || name == ".." || name == "." {
		return "", fmt.Errorf("%q: %w", name, errNotInputFile)
	}
	return filepath.Join(s.cfg.InputDir, name), nil
}

// sessionIDPattern is the form of a session id: it becomes a directory
// name under WorkDir.
var sessionIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// current is a session as a page about it needs it.
type current struct {
	api.Session
	Me    client.Identity
	Label string
	// Policy is the session's policy, checked against the hash the
	// session names.
	Policy policy.Policy
}

// withSession reads the session named in the path for h.
func (s *Server) withSession(h func(http.ResponseWriter, *http.Request, *current)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !sessionIDPattern.MatchString(id) {
			http.NotFound(w, r)
			return
		}
		me, err := s.cfg.Client.Identity(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ss, err := s.cfg.Client.Session(r.Context(), id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		pol, err := policy.ParseHashed(ss.Policy, ss.PolicyHash)
		if err != nil {
			s.fail(w, r, fmt.Errorf("%w: %w", flow.ErrBadSession, err))
			return
		}
		c := &current{Session: ss, Me: me, Label: s.labels()[id], Policy: pol}
		h(w, r, c)
	}
}

// counterpart is the other party's name.
func (c *current) counterpart() string {
	if c.Me.Party == c.Advertiser {
		return c.Partner
	}
	return c.Advertiser
}

func (s *Server) join(w http.ResponseWriter, r *http.Request, c *current) {
	hash := r.PostFormValue("policy_hash")
	if r.PostFormValue("accept") != "yes" {
		s.render(w, r, "error.html", http.StatusBadRequest, page{Title: "Not accepted", Error: "Tick the box that says you accept this policy for your users."})
		return
	}
	if _, err := s.cfg.Client.Join(r.Context(), c.ID, hash); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/sessions/"+c.ID, http.StatusSeeOther)
}

// inputChoice is the input file and columns, as picked on the session
// page; its query form keeps them across the preview and the run.
type inputChoice struct {
	File, IDColumn, ConsentColumn, SegmentsColumn, Region string
	Hashed                                                bool
}

func choiceFrom(get func(string) string) inputChoice {
	return inputChoice{File: strings.TrimSpace(get("file")), IDColumn: get("id_column"), ConsentColumn: get("consent_column"),
		SegmentsColumn: get("segments_column"), Region: strings.TrimSpace(get("region")), Hashed: get("hashed") == "yes"}
}

func (s *Server) startRun(w http.ResponseWriter, r *http.Request, c *current) {
	in := choiceFrom(r.PostFormValue)
	input, err := s.inputPath(in.File)
	if err != nil || in.IDColumn == "" {
		s.render(w, r, "error.html", http.StatusBadRequest, page{Title: "Pick the input", Error: "Pick the input file and its identifier column first."})
		return
	}
	opts := flow.Options{
		Client: s.cfg.Client, SessionID: c.ID, Input: input,
		Columns:       columnsOf(in),
		DefaultRegion: in.Region, Hashed: in.Hashed,
		OutDir: s.sessionDir(c.ID), KeyDir: s.cfg.KeyDir, PollInterval: s.cfg.PollInterval, MaxPollInterval: s.cfg.PollInterval,
		Logger: s.cfg.Logger,
	}
	s.startFlow(c.ID, opts)
	http.Redirect(w, r, "/sessions/"+c.ID, http.StatusSeeOther)
}

func columnsOf(in inputChoice) csvin.Columns {
	return csvin.Columns{ID: in.IDColumn, Consent: in.ConsentColumn, Segments: in.SegmentsColumn}
}

// progress answers the session page's script with the run's status.
func (s *Server) progress(w http.ResponseWriter, r *http.Request, c *current) {
	st := Status{Phase: waitingFor(c)}
	if run := s.runOf(c.ID); run != nil {
		st = run.status(waitingFor(c))
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// waitingFor says what the session waits for, from its state and the
// two sides' upload progress.
func waitingFor(c *current) string {
	mine, theirs := c.Uploads.Advertiser, c.Uploads.MediaPartner
	if c.Me.Party == c.Partner {
		mine, theirs = theirs, mine
	}
	other := c.counterpart()
	switch c.State {
	case api.StateCreated:
		return "waiting for " + other + " to accept the policy"
	case api.StateJoined, api.StateUploading:
		if mine.BlindedComplete {
			return "waiting for " + other + "'s upload (" + wording.Thousands(int64(theirs.BlindedRecords)) + " records so far)"
		}
		return "uploading"
	case api.StateExchanging:
		if mine.ReblindedComplete {
			return "waiting for " + other + " to re-blind"
		}
		return "re-blinding"
	case api.StateComputed:
		return "results ready"
	}
	return "the session ended"
}

func (s *Server) activation(w http.ResponseWriter, r *http.Request, c *current) {
	path := filepath.Join(s.sessionDir(c.ID), "activation.csv")
	f, err := os.Open(path)
	if err != nil {
		http.Error(w, "no activation.csv for this session on this machine: run the session from this console first", http.StatusNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="activation.csv"`)
	http.ServeContent(w, r, "activation.csv", time.Time{}, f)
}
