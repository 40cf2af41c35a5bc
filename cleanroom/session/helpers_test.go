package session

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/internal/testkit"
	"github.com/blindjoin/blindjoin/cleanroom/jobs"
	"github.com/blindjoin/blindjoin/cleanroom/store"
	"github.com/blindjoin/blindjoin/cleanroom/store/sqlitestore"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/blind"
	"github.com/blindjoin/blindjoin/protocol/identifier"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// The parties every test registers.
var (
	adv     = Principal{Party: "acme", Role: api.RoleAdvertiser}
	partner = Principal{Party: "news", Role: api.RoleMediaPartner}
	aud     = Principal{Party: "audit", Role: api.RoleAuditor}
	rivalA  = Principal{Party: "rival", Role: api.RoleAdvertiser}
	rivalP  = Principal{Party: "blog", Role: api.RoleMediaPartner}
	otherAu = Principal{Party: "audit2", Role: api.RoleAuditor}
	revoked = Principal{Party: "gone", Role: api.RoleMediaPartner}
)

var t0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

// harness is a service on a real SQLite store in a temporary directory.
type harness struct {
	t     testing.TB
	dir   string
	clock *testkit.Clock
	logs  *testkit.SyncBuffer
	cfg   Config
	store *sqlitestore.Store
	svc   *Service
	jobs  *jobs.Runner // run by runJobs, never in the background
}

// testFloor is looser than the defaults so that small sets can be used;
// sessions that send no policy still get the defaults (min_rows 1000, k 50).
func testFloor() policy.Policy {
	f := policy.Default()
	f.MinRows, f.K = 10, 5
	return f
}

func newHarness(t testing.TB, opts ...func(*Config)) *harness {
	t.Helper()
	h := harnessAt(t, t.TempDir(), opts...)
	ctx := context.Background()
	err := h.store.ReadWrite(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, p := range []Principal{adv, partner, aud, rivalA, rivalP, otherAu, revoked} {
			party := store.Party{Name: p.Party, Role: p.Role, APIKeyHash: []byte("hash-" + p.Party), Created: t0}
			if p == revoked {
				party.RevokedAt = t0
			}
			if err := tx.AddParty(ctx, party); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// harnessAt opens a service on an existing (or empty) data directory.
func harnessAt(t testing.TB, dir string, opts ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, dir: dir, clock: testkit.NewClock(t0), logs: &testkit.SyncBuffer{}}
	h.cfg = Config{
		DataDir:          h.dir,
		RelayWait:        time.Millisecond, // jobs run only in runJobs
		Floor:            testFloor(),
		RelayPartRecords: 500,
		Now:              h.clock.Now,
		Rand:             rand.NewChaCha8([32]byte{1}),
		Logger:           slog.New(slog.NewJSONHandler(h.logs, nil)),
	}
	for _, o := range opts {
		o(&h.cfg)
	}
	h.open()
	t.Cleanup(h.close)
	return h
}

func (h *harness) open() {
	h.t.Helper()
	st, err := sqlitestore.Open(filepath.Join(h.dir, "blindjoin.db"))
	if err != nil {
		h.t.Fatal(err)
	}
	h.store = st
	h.cfg.Store = st
	svc, err := New(h.cfg)
	if err != nil {
		st.Close()
		h.t.Fatal(err)
	}
	h.svc = svc
	h.jobs, err = jobs.New(jobs.Config{Store: st, Handlers: svc.Handlers(), Now: h.clock.Now, Logger: h.cfg.Logger})
	if err != nil {
		h.t.Fatal(err)
	}
}

// runJobs runs every job that is due, as a replica's jobs runner would
// (the relays once a session is exchanging, the join once both re-blinded
// sets are complete), and fails the test if one of them failed.
func (h *harness) runJobs() {
	h.t.Helper()
	before := h.jobs.Stats().Retried
	if _, err := h.jobs.RunDue(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	if failed := h.jobs.Stats().Retried - before; failed > 0 {
		h.t.Fatalf("%d jobs failed; log:\n%s", failed, h.logs.String())
	}
}

func (h *harness) close() {
	if h.store != nil {
		h.store.Close()
		h.store, h.svc = nil, nil
	}
}

// sessionDir is the directory of a session's part files under the data
// directory (the default blob store).
func (h *harness) sessionDir(id string) string {
	return filepath.Join(h.dir, partsDir, id)
}

// reopen simulates a restart: a new store and service on the same data.
func (h *harness) reopen() {
	h.t.Helper()
	h.close()
	h.open()
}

// create opens a session proposed by adv with the given policy JSON.
func (h *harness) create(policyJSON string, segments ...string) api.Session {
	h.t.Helper()
	req := api.CreateSessionRequest{Partner: partner.Party, MatchKey: api.MatchKeyEmail, Segments: segments, Auditors: []string{aud.Party}}
	if policyJSON != "" {
		req.Policy = []byte(policyJSON)
	}
	s, err := h.svc.Create(context.Background(), adv, req)
	if err != nil {
		h.t.Fatalf("Create: %v", err)
	}
	return s
}

// createJoined creates a session and lets partner join it.
func (h *harness) createJoined(policyJSON string, segments ...string) api.Session {
	h.t.Helper()
	s := h.create(policyJSON, segments...)
	s, err := h.svc.Join(context.Background(), partner, s.ID, api.JoinRequest{PolicyHash: s.PolicyHash})
	if err != nil {
		h.t.Fatalf("Join: %v", err)
	}
	return s
}

// row is one plaintext row of a party: an identifier and its consent and
// segment facts.
type row struct {
	id       int
	consent  [12]bool // TCF purposes 1..11
	li       [12]bool
	segments uint64
}

func (r row) email() string { return fmt.Sprintf("user%d@example.com", r.id) }

// counts restates the default policy's count rule independently of
// package policy: purpose 7 or 9 by consent or legitimate interest.
func (r row) counts() bool {
	return r.consent[7] || r.consent[9] || r.li[7] || r.li[9]
}

// consentCell writes the row's facts as a purpose list ("1;3;7;li:9").
func (r row) consentCell() string {
	var items []string
	for p := range r.consent {
		if r.consent[p] {
			items = append(items, strconv.Itoa(p))
		}
		if r.li[p] {
			items = append(items, "li:"+strconv.Itoa(p))
		}
	}
	return strings.Join(items, ";")
}

// bits encodes the row's facts for the declared attribute list.
func (r row) bits(attrs []wire.Attr) uint64 {
	var b uint64
	for i, a := range attrs {
		var set bool
		switch a.Kind {
		case wire.AttrPurposeConsent:
			set = r.consent[a.Value]
		case wire.AttrPurposeLI:
			set = r.li[a.Value]
		case wire.AttrVendors:
			set = true
		case wire.AttrSegment:
			set = r.segments>>a.Value&1 == 1
		}
		if set {
			b |= 1 << i
		}
	}
	return b
}

// genRows draws rows for ids with realistic consent rates.
func genRows(rng *rand.Rand, ids []int, segments int) []row {
	rows := make([]row, len(ids))
	for i, id := range ids {
		r := row{id: id}
		r.consent[7] = rng.IntN(100) < 60
		r.consent[9] = rng.IntN(100) < 30
		r.li[7] = rng.IntN(100) < 20
		r.li[9] = rng.IntN(100) < 10
		for _, p := range []int{1, 3, 4} {
			r.consent[p] = rng.IntN(100) < 85
		}
		if segments > 0 {
			r.segments = rng.Uint64() & (1<<segments - 1)
		}
		rows[i] = r
	}
	return rows
}

func span(from, to int) []int {
	ids := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		ids = append(ids, i)
	}
	return ids
}

// partyData is what one party holds during a session.
type partyData struct {
	p     Principal
	rows  []row
	key   *blind.Key
	attrs []wire.Attr
}

func newParty(t testing.TB, p Principal, rows []row, pol policy.Policy, segments int) *partyData {
	t.Helper()
	key, err := blind.GenerateKey(rand.NewChaCha8([32]byte{byte(len(p.Party))}))
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != api.RoleAdvertiser {
		segments = 0
	}
	attrs, err := pol.Attrs(segments)
	if err != nil {
		t.Fatal(err)
	}
	return &partyData{p: p, rows: rows, key: key, attrs: attrs}
}

// blindedRecords builds the party's upload records: element || bits.
func (pd *partyData) blindedRecords(t testing.TB) [][]byte {
	t.Helper()
	var norm identifier.Normalizer
	recs := make([][]byte, len(pd.rows))
	for i, r := range pd.rows {
		d, _, err := norm.Digest(identifier.Email, r.email())
		if err != nil {
			t.Fatal(err)
		}
		digest := [32]byte(d)
		recs[i] = wiretest.BlindedRecord(pd.key.Blind(&digest), r.bits(pd.attrs), pd.attrs)
	}
	return recs
}

// uploadBlinded sends the party's blinded set in parts of perPart records.
func (h *harness) uploadBlinded(id string, pd *partyData, perPart int) []api.PartReceipt {
	h.t.Helper()
	var out []api.PartReceipt
	for i, part := range wiretest.Parts(h.t, id, wire.KindBlinded, pd.attrs, pd.blindedRecords(h.t), perPart) {
		r, err := h.svc.PutBlinded(context.Background(), pd.p, id, bytes.NewReader(part))
		if err != nil {
			h.t.Fatalf("%s PutBlinded part %d: %v", pd.p.Party, i, err)
		}
		out = append(out, r)
	}
	return out
}

// download runs the due jobs (the relays), then fetches every relayed
// part of the counterpart set.
func (h *harness) download(id string, p Principal) [][]byte {
	h.t.Helper()
	h.runJobs()
	var parts [][]byte
	for n := 0; ; n++ {
		d, err := h.svc.Counterpart(context.Background(), p, id, n)
		if err != nil {
			h.t.Fatalf("%s Counterpart %d: %v", p.Party, n, err)
		}
		b, err := io.ReadAll(d.Body)
		d.Body.Close()
		if err != nil {
			h.t.Fatal(err)
		}
		if int64(len(b)) != d.Size {
			h.t.Fatalf("Counterpart size %d, body %d", d.Size, len(b))
		}
		parts = append(parts, b)
		if n == d.Parts-1 {
			return parts
		}
	}
}

// uploadReblinded sends join parts, runs the jobs that made due (the
// join, after the second set) and returns the last receipt.
func (h *harness) uploadReblinded(id string, p Principal, parts [][]byte) api.PartReceipt {
	h.t.Helper()
	var last api.PartReceipt
	for i, part := range parts {
		r, err := h.svc.PutReblinded(context.Background(), p, id, bytes.NewReader(part))
		if err != nil {
			h.t.Fatalf("%s PutReblinded part %d: %v", p.Party, i, err)
		}
		last = r
	}
	h.runJobs()
	return last
}

// runSession drives a whole session and returns both parties' results.
func (h *harness) runSession(id string, a, b *partyData, perPart int) (api.Results, api.Results) {
	h.t.Helper()
	h.uploadBlinded(id, a, perPart)
	h.uploadBlinded(id, b, perPart)
	joinA := wiretest.Reblind(h.t, a.key, h.download(id, a.p))
	joinB := wiretest.Reblind(h.t, b.key, h.download(id, b.p))
	h.uploadReblinded(id, a.p, joinA)
	if r := h.uploadReblinded(id, b.p, joinB); r.State != api.StateExchanging || !r.Complete {
		h.t.Fatalf("last receipt: state %s, complete %t; want exchanging and complete (the join is a job)", r.State, r.Complete)
	}
	return h.results(id)
}

// results reads both parties' results and checks that each is what
// encoding/json writes of its values (as the views were stored before
// they were streamed: api.Results.WriteJSON) and opens its commitment in
// the transcript.
func (h *harness) results(id string) (api.Results, api.Results) {
	h.t.Helper()
	tr, err := h.svc.Transcript(context.Background(), adv, id)
	if err != nil {
		h.t.Fatal(err)
	}
	var views [2]api.Results
	for i, p := range []Principal{adv, partner} {
		raw := h.resultsJSON(id, p)
		if err := json.Unmarshal(raw, &views[i]); err != nil {
			h.t.Fatalf("%s Results: %v", p.Role, err)
		}
		if again, err := json.Marshal(views[i]); err != nil || !bytes.Equal(again, raw) {
			h.t.Fatalf("%s results are not encoding/json's encoding of their values (%v):\n%s\nre-encoded\n%s", p.Role, err, raw, again)
		}
		committed, err := views[i].CommittedJSON()
		if err != nil {
			h.t.Fatal(err)
		}
		nonce, err := hex.DecodeString(views[i].ResultNonce)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := tr.CheckResult(string(p.Role), nonce, committed); err != nil {
			h.t.Fatalf("%s results do not open their commitment: %v", p.Role, err)
		}
	}
	return views[0], views[1]
}

// resultsJSON reads p's results as the service serves them, checking
// that they are as long as it says.
func (h *harness) resultsJSON(id string, p Principal) []byte {
	h.t.Helper()
	f, err := h.svc.Results(context.Background(), p, id)
	if err != nil {
		h.t.Fatalf("%s Results: %v", p.Role, err)
	}
	defer f.Body.Close()
	raw, err := io.ReadAll(f.Body)
	if err != nil {
		h.t.Fatalf("%s Results: %v", p.Role, err)
	}
	if int64(len(raw)) != f.Size {
		h.t.Fatalf("%s Results: %d bytes, said %d", p.Role, len(raw), f.Size)
	}
	return raw
}

// truth is the expected outcome, computed from the plaintext rows.
type truth struct {
	advRows, partnerRows int64
	overlap              int64
	segments             []int64
	actCounts            []int64
	activation           map[uint64]uint64 // partner record -> activatable segments
}

// groundTruth works the outcome out with synth.ComputeTruth, the project's
// one plaintext oracle, from the rows written as the cells of a party's
// file; it shares no code with the clean room's join. Segment j is named
// "s<j>"; activation is restricted to actMask.
func groundTruth(t testing.TB, advRows, partnerRows []row, segments int, actMask uint64) truth {
	t.Helper()
	names := make([]string, segments)
	for j := range names {
		names[j] = fmt.Sprintf("s%d", j)
	}
	adv := func(yield func(synth.AdvertiserRow) bool) {
		for _, r := range advRows {
			var labels []string
			for j, name := range names {
				if r.segments>>j&1 == 1 {
					labels = append(labels, name)
				}
			}
			if !yield(synth.AdvertiserRow{ID: r.email(), Segments: strings.Join(labels, ";"), Consent: r.consentCell()}) {
				return
			}
		}
	}
	partner := func(yield func(synth.PartnerRow) bool) {
		for _, r := range partnerRows {
			if !yield(synth.PartnerRow{ID: r.email(), Consent: r.consentCell()}) {
				return
			}
		}
	}
	// The default policy's rules are the ones counts and activates
	// restate; without activation segments it releases all of them, and
	// actMask narrows that below.
	got, err := synth.ComputeTruth(policy.Default(), identifier.Email, names, adv, partner)
	if err != nil {
		t.Fatal(err)
	}
	tr := truth{advRows: int64(got.Advertiser.Counted), partnerRows: int64(got.Partner.Counted), overlap: int64(got.Overlap),
		segments: make([]int64, segments), actCounts: make([]int64, segments), activation: map[uint64]uint64{}}
	for j, name := range names {
		tr.segments[j] = int64(got.SegmentOverlap[name])
	}
	for _, a := range got.Activations {
		var mask uint64
		for _, name := range a.Segments {
			mask |= 1 << slices.Index(names, name)
		}
		if mask &= actMask; mask == 0 {
			continue
		}
		tr.activation[uint64(a.Row-1)] = mask
		for j := range segments {
			if mask>>j&1 == 1 {
				tr.actCounts[j]++
			}
		}
	}
	return tr
}

// rate restates the IAB PAIR formatting: whole percent rounded down,
// ">85%" above 85.
func rate(matched, total int64) string {
	if matched*100 > 85*total {
		return ">85%"
	}
	return fmt.Sprintf("%d%%", matched*100/total)
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func sha256hex(b []byte) string {
	return fmt.Sprintf("%x", sha256.Sum256(b))
}
