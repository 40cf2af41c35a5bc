package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/transcript"
)

// Report is the outcome of one bench run; its JSON form is what
// --json prints.
type Report struct {
	Rows    int     `json:"rows"`
	Overlap float64 `json:"overlap"`
	// Cores is the number of CPUs every process may use (pinned with
	// --cores; otherwise all of the machine's).
	Cores     int    `json:"cores"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	// Revision is the commit the measuring binary was built from (and
	// "+modified" for a tree with changes), so that a figure can be
	// traced to its code; empty when the build did not record it.
	Revision string `json:"revision"`
	// How the system ran: each process a child of the bench.
	Processes  string `json:"processes"`
	LoadBefore string `json:"load_average_before"`
	LoadAfter  string `json:"load_average_after"`

	// Elements is the number of records both parties uploaded; each is
	// blinded by its owner and re-blinded by the other party once.
	Elements int64 `json:"elements"`
	// WallSeconds runs from starting the two party processes to both
	// having written their results.
	WallSeconds float64 `json:"wall_s"`
	// CPUSeconds is the user + system time of the server and both
	// parties.
	CPUSeconds      float64 `json:"cpu_s"`
	CPUPerElementUS float64 `json:"cpu_per_element_us"`
	// FloorPerElementUS is the CPU time per element of BlindBatch then
	// ReblindBatch alone, with the same backend on the same CPUs: the
	// median of the floor runs made before and after the session. The
	// floor's blind share is listed too.
	FloorPerElementUS float64       `json:"floor_per_element_us"`
	FloorBlindUS      float64       `json:"floor_blind_us"`
	CPUOverFloor      float64       `json:"cpu_over_floor"`
	Floors            []FloorResult `json:"floor_runs"`
	// FloorCores is the median CPU over wall time of the floor runs: how
	// many of its cores the machine actually gave a process that could
	// use them all, a measure of the load from elsewhere.
	FloorCores float64 `json:"floor_cores_obtained"`
	// FloorSpread is the slowest floor run's CPU per element over the
	// fastest's. Shared virtual machines have spells in which every core
	// is slower (a busy hyperthread sibling on the host, which the load
	// average does not show); above 1.25 the floor runs straddled one,
	// and the ratio to the floor should be taken with care.
	FloorSpread float64 `json:"floor_spread"`
	// Backend is the group arithmetic of the floor runs, and of the
	// parties' batches (the same binary on the same CPUs):
	// "avx512ifma" or "portable" (blind.BackendName).
	Backend string `json:"backend"`
	// PortableFloorPerElementUS is the floor with the portable backend
	// whatever the CPU (blind.Key.Portable), the median of
	// PortableFloorRuns runs before and as many after the session: what
	// the same session would cost without the fast backend.
	PortableFloorPerElementUS float64       `json:"portable_floor_per_element_us"`
	PortableFloors            []FloorResult `json:"portable_floor_runs"`

	// OverlapCorrect is true when the overlap both parties saw, the match
	// rates, the segment counts, the row accounts and every activation row
	// are exactly those of the plaintext truth (demo.Check).
	OverlapCorrect bool        `json:"overlap_correct"`
	Correct        Correctness `json:"correctness"`

	// BytesPerElement is, per party, the part bytes of each leg over the
	// records of that leg, and all connection bytes (HTTP headers, JSON
	// calls, polls) over the party's own records.
	BytesPerElement map[api.Role]map[string]float64 `json:"bytes_per_element"`
	PeakRSSMB       map[string]float64              `json:"peak_rss_mb"`
	// ServerBudgetMB is the clean room's --memory-budget, to read its
	// peak RSS against.
	ServerBudgetMB float64             `json:"server_memory_budget_mb"`
	ProcessCPU     map[string]CPUSplit `json:"process_cpu_s"`

	// Phases are the wall times between the session's milestones;
	// PartyPhases are each party's own phases as its flow timed them.
	Phases      []Phase                       `json:"phases"`
	PartyPhases map[api.Role][]flow.PhaseTime `json:"party_phases"`

	SetupSeconds float64 `json:"setup_s"` // writing the files and the truth
}

// floorSpreadWarn is the floor spread above which the text report
// warns that the machine's speed changed during the run.
const floorSpreadWarn = 1.25

type CPUSplit struct {
	User   float64 `json:"user"`
	System float64 `json:"system"`
}

type Phase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

func newReport(o Options) *Report {
	cores := o.Cores
	if cores == 0 {
		cores = runtime.NumCPU()
	}
	state := "temporary data directory"
	switch {
	case o.Store != "" && o.Blobs != "":
		state = "store on PostgreSQL, parts on S3"
	case o.Store != "":
		state = "store on PostgreSQL, parts in a temporary data directory"
	case o.Blobs != "":
		state = "parts on S3, store in a temporary data directory"
	}
	return &Report{
		Rows: o.Rows, Overlap: o.Overlap, Cores: cores, ServerBudgetMB: float64(o.memoryBudget()) / 1e6,
		CPUModel:  cpuModel(),
		GoVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		Revision:  revision(),
		Processes: "child processes of this binary: server (operator.Serve on loopback, " + state + "), advertiser and media partner (flow.Run over HTTP)",
	}
}

// fill computes the report's figures from the processes, their outputs,
// the transcript and the floor runs.
func (r *Report) fill(parties map[api.Role]*child, srv *child, outs map[api.Role]partyOutput, tr transcript.Transcript, floors []FloorResult) {
	adv, partner := outs[api.RoleAdvertiser], outs[api.RoleMediaPartner]
	start, end := parties[api.RoleAdvertiser].started, parties[api.RoleAdvertiser].exited
	for _, c := range parties {
		start, end = earliest(start, c.started), latest(end, c.exited)
	}
	r.WallSeconds = end.Sub(start).Seconds()
	r.Elements = identifiers(adv.Summary) + identifiers(partner.Summary)

	r.PeakRSSMB = map[string]float64{}
	r.ProcessCPU = map[string]CPUSplit{}
	var cpu time.Duration
	for name, c := range map[string]*child{"server": srv, string(api.RoleAdvertiser): parties[api.RoleAdvertiser], string(api.RoleMediaPartner): parties[api.RoleMediaPartner]} {
		cpu += c.usage.CPU()
		r.PeakRSSMB[name] = float64(c.usage.PeakRSS) / 1e6
		r.ProcessCPU[name] = CPUSplit{User: c.usage.User.Seconds(), System: c.usage.System.Seconds()}
	}
	r.CPUSeconds = cpu.Seconds()
	r.CPUPerElementUS = perElementUS(r.CPUSeconds, r.Elements)

	r.Floors = floors
	if len(floors) > 0 {
		r.Backend = floors[0].Backend
	}
	r.FloorPerElementUS = medianOf(floors, floorPerElementUS)
	r.FloorBlindUS = medianOf(floors, func(f FloorResult) float64 { return perElementUS(f.BlindCPUSeconds, int64(f.Elements)) })
	r.FloorCores = medianOf(floors, func(f FloorResult) float64 { return f.CPUSeconds / f.WallSeconds })
	lo, hi := math.Inf(1), 0.0
	for _, f := range floors {
		v := f.CPUSeconds / float64(f.Elements)
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi > 0 {
		r.FloorSpread = hi / lo
	}
	if r.FloorPerElementUS > 0 {
		r.CPUOverFloor = r.CPUPerElementUS / r.FloorPerElementUS
	}

	r.BytesPerElement = map[api.Role]map[string]float64{}
	for role, out := range outs {
		own := identifiers(out.Summary)
		other := identifiers(outs[otherRole(role)].Summary)
		t := out.Traffic
		r.BytesPerElement[role] = map[string]float64{
			LegBlinded:      ratio(t.Legs[LegBlinded], own),
			LegRelay:        ratio(t.Legs[LegRelay], other),
			LegJoin:         ratio(t.Legs[LegJoin], other),
			"conn_sent":     ratio(t.ConnSent, own),
			"conn_received": ratio(t.ConnReceived, own),
		}
	}
	r.PartyPhases = map[api.Role][]flow.PhaseTime{api.RoleAdvertiser: adv.Summary.Phases, api.RoleMediaPartner: partner.Summary.Phases}
	r.Phases = milestones(start, end, parties, outs, tr)
}

// milestones splits the run's wall time at the moments the transcript and
// the parties record: both inputs read and hashed, both blinded sets
// complete, both relays prepared, both re-blinded sets complete, results
// computed, both parties done. Work overlaps across them (one party may
// re-blind while the other's relay is prepared); each phase is the time
// until the later side reached the milestone.
func milestones(start, end time.Time, parties map[api.Role]*child, outs map[api.Role]partyOutput, tr transcript.Transcript) []Phase {
	var read time.Time
	for role, out := range outs {
		at := parties[role].started
		for _, p := range out.Summary.Phases {
			at = at.Add(time.Duration(p.Seconds * float64(time.Second)))
			if p.Name == "read" {
				break
			}
		}
		read = latest(read, at)
	}
	var uploaded, relayed, reblinded, computed time.Time
	for _, e := range tr.Events {
		switch {
		case e.Type == transcript.TypePartUploaded && e.Data["complete"] == "true":
			uploaded = latest(uploaded, e.Time)
		case e.Type == "relayed":
			relayed = latest(relayed, e.Time)
		case e.Type == transcript.TypeReblindedUploaded && e.Data["complete"] == "true":
			reblinded = latest(reblinded, e.Time)
		case e.Type == transcript.TypeComputed:
			computed = e.Time
		}
	}
	marks := []struct {
		name string
		at   time.Time
	}{
		{"read (CSV, normalize, SHA-256)", read},
		{"hash+blind+upload (streamed)", uploaded},
		{"relay", relayed},
		{"re-blind (download, re-blind, upload streamed)", reblinded},
		{"join", computed},
		{"results", end},
	}
	out := make([]Phase, 0, len(marks)+1)
	prev := start
	for _, m := range marks {
		out = append(out, Phase{Name: m.name, Seconds: m.at.Sub(prev).Seconds()})
		prev = m.at
	}
	return append(out, Phase{Name: "total", Seconds: end.Sub(start).Seconds()})
}

func otherRole(role api.Role) api.Role {
	if role == api.RoleAdvertiser {
		return api.RoleMediaPartner
	}
	return api.RoleAdvertiser
}

// median returns the median of v (0 if empty); it sorts v.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func perElementUS(seconds float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return seconds / float64(n) * 1e6
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// loadAverage is the 1-, 5- and 15-minute load average, if the system
// says.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuModel is the processor's name, if the system says.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// revision is the VCS revision the Go toolchain stamped into this binary.
func revision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, modified string
	for _, kv := range info.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.modified":
			if kv.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return rev + modified
}

// fillPortable records the floor runs of the portable backend.
func (r *Report) fillPortable(floors []FloorResult) {
	r.PortableFloors = floors
	r.PortableFloorPerElementUS = medianOf(floors, floorPerElementUS)
}

// floorPerElementUS is a floor run's CPU time per element.
func floorPerElementUS(f FloorResult) float64 { return perElementUS(f.CPUSeconds, int64(f.Elements)) }

// medianOf returns the median of value over floors.
func medianOf(floors []FloorResult, value func(FloorResult) float64) float64 {
	v := make([]float64, len(floors))
	for i, f := range floors {
		v[i] = value(f)
	}
	return median(v)
}

// WriteText prints the report for people.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "blindjoin bench: %d x %d rows, overlap %.2f, %d cores, %s\n", r.Rows, r.Rows, r.Overlap, r.Cores, r.GoVersion)
	if r.Revision != "" {
		fmt.Fprintf(w, "code: %s\n", r.Revision)
	}
	fmt.Fprintf(w, "machine: %s; load average %s before, %s after\n", r.CPUModel, r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(w, "processes: %s\n\n", r.Processes)

	fmt.Fprintln(tw, "phase (until the later side)\twall s\t")
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "%s\t%.2f\t\n", p.Name, p.Seconds)
	}
	tw.Flush()
	fmt.Fprintln(w)

	fmt.Fprintln(tw, "process\tuser s\tsystem s\tCPU s\tpeak RSS MB\t")
	for _, name := range []string{"server", string(api.RoleAdvertiser), string(api.RoleMediaPartner)} {
		c := r.ProcessCPU[name]
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.1f\t\n", name, c.User, c.System, c.User+c.System, r.PeakRSSMB[name])
	}
	fmt.Fprintf(tw, "total\t\t\t%.2f\t\t\n", r.CPUSeconds)
	tw.Flush()
	fmt.Fprintf(w, "server memory budget: %.1f MB\n\n", r.ServerBudgetMB)

	fmt.Fprintf(w, "elements: %d (records uploaded by both parties)\n", r.Elements)
	fmt.Fprintf(w, "CPU per element: %.1f us; floor %.1f us (blind %.1f + re-blind %.1f; median of %d runs before and after, same backend and CPUs); ratio %.3f\n",
		r.CPUPerElementUS, r.FloorPerElementUS, r.FloorBlindUS, r.FloorPerElementUS-r.FloorBlindUS, len(r.Floors), r.CPUOverFloor)
	fmt.Fprintf(w, "backend: %s; portable floor %.1f us (median of %d runs)\n", r.Backend, r.PortableFloorPerElementUS, len(r.PortableFloors))
	fmt.Fprintf(w, "cores obtained by the floor runs: %.2f of %d (less means load from elsewhere)\n", r.FloorCores, r.Cores)
	if r.FloorSpread > floorSpreadWarn {
		fmt.Fprintf(w, "WARNING: the floor runs differ by %.2fx: the machine's speed changed during the run; run again to compare with the floor\n", r.FloorSpread)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(tw, "bytes per element\tblinded up\tcounterpart down\tjoin up\tall sent\tall received\t")
	for _, role := range []api.Role{api.RoleAdvertiser, api.RoleMediaPartner} {
		b := r.BytesPerElement[role]
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", role, b[LegBlinded], b[LegRelay], b[LegJoin], b["conn_sent"], b["conn_received"])
	}
	tw.Flush()
	fmt.Fprintln(w)

	c := r.Correct
	verdict := "EXACT"
	if !r.OverlapCorrect {
		verdict = "WRONG: " + strings.Join(c.Problems, "; ")
	}
	fmt.Fprintf(w, "intersection: overlap %s (expected %d), activation %s rows (expected %d), %d checks against the truth: %s\n",
		countText(c.AdvertiserSaw), c.ExpectedOverlap, countText(c.ActivationRows), c.ExpectedActivationRows, c.Checked, verdict)
	return nil
}

func countText(n *int64) string {
	if n == nil {
		return "suppressed"
	}
	return fmt.Sprint(*n)
}

// identifiers is the elements a party uploaded: one per row, or in a
// multi-key session one per key a row carries.
func identifiers(s flow.Summary) int64 {
	if len(s.Keys) == 0 {
		return s.Rows.Uploaded
	}
	var n int64
	for _, k := range s.Keys {
		n += k.Valid
	}
	return n
}
