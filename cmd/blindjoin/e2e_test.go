package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/partner/demo"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// e2e is a real clean room on loopback, three registered parties, and
// synthetic files with messy identifiers, rejects and mixed consent.
type e2e struct {
	room               *roomtest.Room
	roomKey            string // its transcript key, hex
	dir                string
	adv, partner, aud  string // API keys
	advCSV, partnerCSV string
	data               *synth.Dataset
}

// newE2E is newRoomWithParties plus the two parties' synthetic files.
func newE2E(t *testing.T) *e2e {
	t.Helper()
	return newE2EIn(t, roomtest.Start(t, roomtest.Options{}))
}

// newE2EIn is newE2E in a room of the test's choosing.
func newE2EIn(t *testing.T, room *roomtest.Room) *e2e {
	t.Helper()
	e := partiesIn(t, room)
	e.writeData(t)
	return e
}

// writeData generates the parties' synthetic files into e.dir.
func (e *e2e) writeData(t *testing.T) {
	t.Helper()
	cfg := synth.DefaultConfig()
	cfg.Seed, cfg.AdvertiserRows, cfg.PartnerRows = 7, 3000, 6000
	var err error
	if e.data, err = synth.New(cfg); err != nil {
		t.Fatal(err)
	}
	e.advCSV, e.partnerCSV = filepath.Join(e.dir, "crm.csv"), filepath.Join(e.dir, "audience.csv")
	writeWith(t, e.advCSV, e.data.WriteAdvertiserCSV)
	writeWith(t, e.partnerCSV, e.data.WritePartnerCSV)
}

// newRoomWithParties is a real clean room on loopback (operator.Start,
// what blindjoind serve runs, with its default floor) with the advertiser
// "acme", the media partner "news" and the auditor "audit-firm", and no
// data files yet.
func newRoomWithParties(t *testing.T) *e2e {
	t.Helper()
	return partiesIn(t, roomtest.Start(t, roomtest.Options{}))
}

// partiesIn registers newRoomWithParties' parties in room.
func partiesIn(t *testing.T, room *roomtest.Room) *e2e {
	t.Helper()
	return &e2e{room: room, roomKey: hex.EncodeToString(room.TranscriptKey), dir: t.TempDir(),
		adv:     room.AddParty(t, "acme", api.RoleAdvertiser),
		partner: room.AddParty(t, "news", api.RoleMediaPartner),
		aud:     room.AddParty(t, "audit-firm", api.RoleAuditor)}
}

func writeWith(t *testing.T, path string, write func(w io.Writer) error) {
	t.Helper()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// as runs the CLI in-process as the party with key, against the room.
func (e *e2e) as(ctx context.Context, key string, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	args = append(args, "--server", e.room.URL, "--api-key", key)
	code := run(args, stdio{in: strings.NewReader(""), out: &out, err: &errOut, ctx: ctx})
	return out.String(), errOut.String(), code
}

func (e *e2e) mustRun(t *testing.T, key string, args ...string) string {
	t.Helper()
	out, errOut, code := e.as(context.Background(), key, args...)
	if code != exitOK {
		t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	return out
}

// e2ePolicy raises k above some segment counts of the data so that
// suppression shows both in counts and in the activation (but not above
// all activation counts, which count each person once).
const e2ePolicy = `{"k": 140}`

// policyAndTruth writes e2ePolicy into the test's directory and returns
// the file, the policy and the plaintext truth of e's data under it.
func (e *e2e) policyAndTruth(t *testing.T) (string, policy.Policy, *synth.Truth) {
	t.Helper()
	path := filepath.Join(e.dir, "policy.json")
	if err := os.WriteFile(path, []byte(e2ePolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Parse([]byte(e2ePolicy))
	if err != nil {
		t.Fatal(err)
	}
	truth, err := e.data.Truth(pol)
	if err != nil {
		t.Fatal(err)
	}
	return path, pol, truth
}

func TestEndToEndCLI(t *testing.T) {
	e := newE2E(t)
	polFile, pol, truth := e.policyAndTruth(t)

	// Refusals: a policy looser than the floor, by the clean room.
	loose := filepath.Join(e.dir, "loose.json")
	os.WriteFile(loose, []byte(`{"k": 10}`), 0o600)
	if _, errOut, code := e.as(context.Background(), e.adv, "session", "create", "--partner", "news", "--match-key", "email", "--policy", loose); code != exitFail || !strings.Contains(errOut, "policy_violation") {
		t.Errorf("loose policy: exit %d, stderr %q", code, errOut)
	}

	out := e.mustRun(t, e.adv, "session", "create", "--partner", "news", "--match-key", "email", "--policy", polFile,
		"--segments-from", e.advCSV, "--auditors", "audit-firm", "--json")
	var created api.Session
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.ID == "" {
		t.Fatalf("session create --json: %v: %s", err, out)
	}
	id := created.ID
	if want := slices.Sorted(slices.Values(truth.Segments)); !slices.Equal(created.Segments, want) {
		t.Errorf("segments from the file = %v, want %v", created.Segments, want)
	}
	if created.PolicyHash != pol.Hash() {
		t.Errorf("policy hash %s, want %s", created.PolicyHash, pol.Hash())
	}

	if _, errOut, code := e.as(context.Background(), e.adv, "results", id); code != exitFail || !strings.Contains(errOut, "no results yet") {
		t.Errorf("results before the match: exit %d, %q", code, errOut)
	}

	keys := filepath.Join(e.dir, "keys")
	advOut, partnerOut := filepath.Join(e.dir, "adv-out"), filepath.Join(e.dir, "pub-out")
	advMatch := []string{"match", id, "--in", e.advCSV, "--id-column", "email", "--segments-column", "segments",
		"--out", advOut, "--key-dir", filepath.Join(keys, "adv"), "--poll", "50ms"}
	partnerMatch := []string{"match", id, "--in", e.partnerCSV, "--id-column", "user_email", "--consent-column", "consent",
		"--out", partnerOut, "--key-dir", filepath.Join(keys, "pub"), "--poll", "50ms", "--json"}

	// The advertiser starts first, waits for the partner to join, and is
	// interrupted: it says how to resume.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel) // as SIGINT would
	_, errOut, code := e.as(ctx, e.adv, advMatch...)
	if code != exitInterrupted || !strings.Contains(errOut, "again to resume") {
		t.Fatalf("interrupted match: exit %d, stderr %q", code, errOut)
	}

	// The partner must accept the policy; without a terminal it must say --yes.
	if _, errOut, code := e.as(context.Background(), e.partner, "session", "join", id); code != exitUsage || !strings.Contains(errOut, "--yes") {
		t.Errorf("join without --yes: exit %d, stderr %q", code, errOut)
	}
	if out := e.mustRun(t, e.partner, "session", "join", id, "--yes"); !strings.Contains(out, pol.Hash()) || !strings.Contains(out, "k  ") {
		t.Errorf("join output lacks the policy or its hash: %s", out)
	}

	// Both run at once; the advertiser resumes with the key it made.
	var wg sync.WaitGroup
	var advRes, partnerRes [2]string // stdout, stderr
	var advCode, partnerCode int
	wg.Go(func() { advRes[0], advRes[1], advCode = e.as(context.Background(), e.adv, advMatch...) })
	wg.Go(func() {
		partnerRes[0], partnerRes[1], partnerCode = e.as(context.Background(), e.partner, partnerMatch...)
	})
	wg.Wait()
	if advCode != exitOK || partnerCode != exitOK {
		t.Fatalf("match: advertiser exit %d (%s), partner exit %d (%s)", advCode, advRes[1], partnerCode, partnerRes[1])
	}
	if !strings.Contains(advRes[0], "suppressed (< 140)") || !strings.Contains(advRes[0], "excluded by consent") ||
		!strings.Contains(advRes[0], "excluded by repeated identifiers") {
		t.Errorf("advertiser's match output:\n%s", advRes[0])
	}

	var partnerSummary struct {
		Rows struct{ Read, Uploaded int }
	}
	if err := json.Unmarshal([]byte(partnerRes[0]), &partnerSummary); err != nil || partnerSummary.Rows.Read != truth.Partner.Rows || partnerSummary.Rows.Uploaded != truth.Partner.Counted {
		t.Errorf("partner match --json: %v, rows %+v, want %d read, %d uploaded", err, partnerSummary.Rows, truth.Partner.Rows, truth.Partner.Counted)
	}

	checkResults(t, e, id, pol, truth)
	checkActivationFile(t, filepath.Join(partnerOut, "activation.csv"), truth.Released(int(pol.K)))
	for _, dir := range []string{filepath.Join(keys, "adv"), filepath.Join(keys, "pub")} {
		if left, _ := filepath.Glob(filepath.Join(dir, id+".*")); len(left) > 0 {
			t.Errorf("session key files left after the results: %v", left)
		}
	}

	// The auditor fetches the transcript and verifies it with the key the
	// clean room published.
	tpath := filepath.Join(e.dir, "transcript.json")
	if out := e.mustRun(t, e.aud, "session", "transcript", id, "--out", tpath); !strings.Contains(out, "audit verify") {
		t.Errorf("transcript output: %s", out)
	}
	out, errOut, code = runCLI(t, "", "audit", "verify", tpath, "--server-key", e.roomKey)
	if code != exitOK || !strings.Contains(out, "ok ") {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	// Each party checks that the results `match` wrote are those the
	// transcript commits to.
	for _, dir := range []string{advOut, partnerOut} {
		out, errOut, code = runCLI(t, "", "audit", "verify", tpath, "--server-key", e.roomKey, "--results", filepath.Join(dir, "results.json"))
		if code != exitOK || !strings.Contains(out, "results are those the computed event commits to") {
			t.Errorf("audit verify --results %s: exit %d\n%s%s", dir, code, out, errOut)
		}
	}

	// Listing, showing and deleting.
	if out := e.mustRun(t, e.partner, "session", "list"); !strings.Contains(out, id) || !strings.Contains(out, string(api.StateComputed)) {
		t.Errorf("session list: %s", out)
	}
	if out := e.mustRun(t, e.adv, "session", "show", id); !strings.Contains(out, "activation_purposes") || !strings.Contains(out, "(complete)") {
		t.Errorf("session show: %s", out)
	}
	if out := e.mustRun(t, e.adv, "session", "delete", id); !strings.Contains(out, string(api.StatePurged)) {
		t.Errorf("session delete: %s", out)
	}
	// Deleting purges the blinded data; the results and the transcript stay.
	e.mustRun(t, e.partner, "results", id)
	e.mustRun(t, e.aud, "session", "transcript", id)
	if _, errOut, code := e.as(context.Background(), e.adv, "session", "show", "ffffffffffffffffffffffffffffffff"); code != exitFail || !strings.Contains(errOut, "not_found") {
		t.Errorf("unknown session: exit %d, %s", code, errOut)
	}
}

// checkResults compares `blindjoin results --json` of both parties with
// the truth, as the policy releases it, and the text output's
// suppressions.
func checkResults(t *testing.T, e *e2e, id string, pol policy.Policy, truth *synth.Truth) {
	t.Helper()
	releasedCount := func(n int) *int64 {
		if int64(n) < pol.K {
			return nil
		}
		v := int64(n)
		return &v
	}
	if truth.Overlap < int(pol.K) {
		t.Fatalf("the test data overlap on %d identifiers only, below k", truth.Overlap)
	}
	suppressed := 0
	for _, n := range truth.SegmentOverlap {
		if int64(n) < pol.K {
			suppressed++
		}
	}
	if suppressed == 0 || suppressed == len(truth.Segments) {
		t.Fatalf("the test data must have segments on both sides of k: %v", truth.SegmentOverlap)
	}

	for _, side := range []struct {
		key     string
		role    api.Role
		counted int
	}{{e.adv, api.RoleAdvertiser, truth.Advertiser.Counted}, {e.partner, api.RoleMediaPartner, truth.Partner.Counted}} {
		var res resultsOutput
		out := e.mustRun(t, side.key, "results", id, "--json")
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("results --json: %v: %s", err, out)
		}
		if res.Role != side.role || res.K != pol.K || res.Overlap == nil || *res.Overlap != int64(truth.Overlap) {
			t.Errorf("%s: role %s, k %d, overlap %v; want overlap %d", side.role, res.Role, res.K, e2eShow(res.Overlap), truth.Overlap)
		}
		rate, other := res.MatchRate.Advertiser, res.MatchRate.MediaPartner
		if side.role == api.RoleMediaPartner {
			rate, other = other, rate
		}
		if want := pol.FormatRate(int64(truth.Overlap), int64(side.counted)); rate == nil || *rate != want || other != nil {
			t.Errorf("%s: match rate %v (other %v), want %s", side.role, e2eShow(rate), e2eShow(other), want)
		}
		if side.role == api.RoleMediaPartner {
			if len(res.Segments) != 0 || res.Activation == nil || res.Activation.Rows != int64(len(truth.Released(int(pol.K)))) {
				t.Errorf("partner: segments %v, activation %+v", res.Segments, res.Activation)
			}
			continue
		}
		for _, name := range truth.Segments {
			got, want := res.Segments[name], releasedCount(truth.SegmentOverlap[name])
			if e2eShow(got) != e2eShow(want) {
				t.Errorf("segment %s = %s, want %s", name, e2eShow(got), e2eShow(want))
			}
		}
		text := e.mustRun(t, side.key, "results", id)
		if strings.Count(text, "suppressed (< 140)") != suppressed {
			t.Errorf("results text shows %d suppressions, want %d:\n%s", strings.Count(text, "suppressed (< 140)"), suppressed, text)
		}
	}
}

// e2eShow formats a released value: the value, or null.
func e2eShow[T any](p *T) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// checkActivationFile compares activation.csv with the truth's released
// rows, row by row; segment order within a row is not significant.
func checkActivationFile(t *testing.T, path string, want []synth.Activation) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("the test data release no activation rows")
	}
	// The session's segments came from --segments-from, which sorts them,
	// and activation.csv lists a row's segments in the session's order.
	sorted := make([]synth.Activation, len(want))
	for i, w := range want {
		sorted[i] = synth.Activation{Row: w.Row, Segments: slices.Sorted(slices.Values(w.Segments))}
	}
	if _, err := demo.CompareActivation(path, sorted); err != nil {
		t.Fatalf("activation.csv: %v", err)
	}
}
