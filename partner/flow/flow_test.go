package flow

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/partner/keystore"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
)

// runBoth runs the two flows at once and returns their summaries.
func runBoth(t *testing.T, ctx context.Context, adv, partner Options) (Summary, Summary) {
	t.Helper()
	as, ps, aerr, perr := runPair(ctx, adv, partner)
	if aerr != nil || perr != nil {
		t.Fatalf("advertiser: %v; media partner: %v", aerr, perr)
	}
	return as, ps
}

// runPair runs the two flows at once and returns their summaries and
// errors.
func runPair(ctx context.Context, adv, partner Options) (as, ps Summary, aerr, perr error) {
	// A party that fails stops the other, which would wait for it.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		if as, aerr = Run(ctx, adv); aerr != nil {
			stop()
		}
	})
	wg.Go(func() {
		if ps, perr = Run(ctx, partner); perr != nil {
			stop()
		}
	})
	wg.Wait()
	return as, ps, aerr, perr
}

func TestEndToEnd(t *testing.T) {
	e := newEnv(t, testPolicy, 500) // several relay parts each way
	as, ps := runBoth(t, context.Background(), e.options(t, api.RoleAdvertiser), e.options(t, api.RoleMediaPartner))
	want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments)

	for _, side := range []struct {
		name    string
		rows    []genRow
		sum     Summary
		dir     string
		keys    string
		kept    int
		role    api.Role
		partsOf int
	}{
		{"advertiser", e.adv, as, e.advDir, e.advKeys, want.advKept, api.RoleAdvertiser, 300},
		{"media partner", e.partner, ps, e.partnerDir, e.partnerKeys, want.partnerKept, api.RoleMediaPartner, 400},
	} {
		t.Run(side.name, func(t *testing.T) {
			s := side.sum
			if s.Rows != (RowCounts{Read: int64(len(side.rows)), Uploaded: int64(side.kept), Rejected: int64(len(side.rows) - side.kept)}) {
				t.Errorf("rows = %+v, kept %d of %d", s.Rows, side.kept, len(side.rows))
			}
			if !maps.Equal(s.Rejected, expectedReasons(side.rows)) {
				t.Errorf("rejected by reason = %v, want %v", s.Rejected, expectedReasons(side.rows))
			}
			checkRejects(t, side.dir, side.rows)
			if s.Overlap == nil || *s.Overlap != want.overlap {
				t.Errorf("overlap = %v, want %d", s.Overlap, want.overlap)
			}
			for _, name := range testSegments {
				got := s.Segments[name]
				if side.role == api.RoleMediaPartner && got != nil || side.role == api.RoleAdvertiser && (got == nil || *got != want.segments[name]) {
					t.Errorf("segment %s = %v, want %d (advertiser only)", name, got, want.segments[name])
				}
			}
			if s.SkippedParts != 0 {
				t.Errorf("skipped parts = %d on a first run", s.SkippedParts)
			}
			// Rows that may not count never left the party, and every
			// uploaded record carries the bits of a kept row.
			got := e.uploadedBits(t, side.role)
			wantBits := expectedBits(side.rows, side.role == api.RoleAdvertiser, e.session.Segments)
			slices.Sort(got)
			if !slices.Equal(got, wantBits) {
				t.Errorf("uploaded %d records with other bits than the %d kept rows", len(got), len(wantBits))
			}
			if _, err := keystore.Load(side.keys, e.session.ID); !errors.Is(err, keystore.ErrNoKey) {
				t.Errorf("the session key survived the run: %v", err)
			}
			var onDisk Summary
			data, _ := os.ReadFile(filepath.Join(side.dir, summaryFile))
			if err := json.Unmarshal(data, &onDisk); err != nil || onDisk.Rows != s.Rows || len(onDisk.Phases) < 5 {
				t.Errorf("summary.json: %v, %+v", err, onDisk)
			}
		})
	}
	if as.UnknownSegments["typo-segment"] != expectedTypos(e.adv) || len(as.UnknownSegments) != 1 {
		t.Errorf("unknown segments = %v, want typo-segment: %d", as.UnknownSegments, expectedTypos(e.adv))
	}
	if ps.ActivationRows == nil || *ps.ActivationRows != int64(len(want.activation)) || as.ActivationRows != nil {
		t.Errorf("activation rows: partner %v, advertiser %v; want %d", ps.ActivationRows, as.ActivationRows, len(want.activation))
	}
	checkActivation(t, e.partnerDir, want.activation)
	if len(want.activation) < 100 {
		t.Fatalf("the test data activate only %d rows", len(want.activation))
	}
	if _, err := os.Stat(filepath.Join(e.advDir, activationFile)); !os.IsNotExist(err) {
		t.Errorf("the advertiser got an activation file: %v", err)
	}
}

// expectedReasons counts the rows' expected reject reasons as summary.json
// groups them.
func expectedReasons(rows []genRow) map[string]int64 {
	out := map[string]int64{}
	for _, r := range rows {
		if r.reason != "" {
			key := r.reason
			for _, prefix := range []string{reasonMalformedRow, reasonBadConsent, reasonDuplicate + "email"} {
				if strings.HasPrefix(key, prefix) {
					key = prefix
				}
			}
			out[key]++
		}
	}
	return out
}

func expectedTypos(rows []genRow) int64 {
	var n int64
	for _, r := range rows {
		if r.reason == "" && slices.Contains(r.segments, "typo-segment") {
			n++
		}
	}
	return n
}

// expectedBits is the sorted attribute bits of the kept rows, built from
// the default policy's attribute order: consent 1, 3, 4, 7, 9, legitimate
// interest 7, 9, then (advertiser) the session's segments.
func expectedBits(rows []genRow, advertiser bool, segments []string) []uint64 {
	consent := map[string]uint64{"1;3;4;7": 0b1111, "7": 1 << 3, "li:9": 1 << 6}
	var out []uint64
	for _, r := range rows {
		if r.reason != "" {
			continue
		}
		bits := consent[r.consent]
		if advertiser {
			for _, s := range r.segments {
				if i := slices.Index(segments, s); i >= 0 {
					bits |= 1 << (7 + i)
				}
			}
		}
		out = append(out, bits)
	}
	slices.Sort(out)
	return out
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// checkRejects compares rejects.csv with the generator's expectations,
// line by line.
func checkRejects(t *testing.T, dir string, rows []genRow) {
	t.Helper()
	want := [][]string{{"row", "reason"}}
	for _, r := range rows {
		if r.reason != "" {
			want = append(want, []string{strconv.Itoa(r.number), r.reason})
		}
	}
	got := readCSVFile(t, filepath.Join(dir, rejectsFile))
	if !slices.EqualFunc(got, want, slices.Equal) {
		for i := range min(len(got), len(want)) {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("rejects.csv line %d = %q, want %q", i+1, got[i], want[i])
				break
			}
		}
		t.Fatalf("rejects.csv has %d lines, want %d", len(got), len(want))
	}
}

func checkActivation(t *testing.T, dir string, want map[int][]string) {
	t.Helper()
	got := readCSVFile(t, filepath.Join(dir, activationFile))
	if len(got) == 0 || !slices.Equal(got[0], []string{"row", "segments"}) {
		t.Fatalf("activation.csv header: %v", got)
	}
	rows := map[int][]string{}
	last := 0
	for _, rec := range got[1:] {
		n, err := strconv.Atoi(rec[0])
		if err != nil || n <= last {
			t.Fatalf("activation.csv row %q out of order or repeated", rec[0])
		}
		last = n
		rows[n] = strings.Split(rec[1], ";")
	}
	if !maps.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("activation.csv maps %d rows, want %d (first differences: %v)", len(rows), len(want), firstDiff(rows, want))
	}
}

func firstDiff(got, want map[int][]string) string {
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			return fmt.Sprintf("row %d: got %v, want %v", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			return fmt.Sprintf("row %d: got %v, want nothing", k, v)
		}
	}
	return ""
}

func TestRetriesAndTokenRefresh(t *testing.T) {
	e := newEnv(t, testPolicy, 700)
	e.relay.Inject("PUT /blinded", 2, roomtest.Refuse(503, ""))
	e.relay.Inject("PUT /reblinded", 2, roomtest.Refuse(429, "2"))
	e.relay.Inject("GET /counterpart", 1, roomtest.Refuse(503, ""))
	e.relay.Inject("GET /v1/sessions/"+e.session.ID, 1, roomtest.Refuse(502, ""))
	// Once a first part is in, every token dies mid-upload.
	var once sync.Once
	e.relay.After("PUT /blinded", func(x roomtest.Exchange) {
		if x.Status == http.StatusOK {
			once.Do(e.relay.RevokeTokens)
		}
	})
	as, ps := runBoth(t, context.Background(), e.options(t, api.RoleAdvertiser), e.options(t, api.RoleMediaPartner))
	want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments)
	if *as.Overlap != want.overlap || *ps.Overlap != want.overlap {
		t.Fatalf("overlap %d / %d, want %d", *as.Overlap, *ps.Overlap, want.overlap)
	}
	checkActivation(t, e.partnerDir, want.activation)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !slices.Contains(e.clientWait, 2*time.Second) || len(e.clientWait) < 5 {
		t.Fatalf("client backoffs %v: want the 5 retries, one honouring Retry-After: 2", e.clientWait)
	}
	// The clean room refused each party's old token, and each party
	// fetched a fresh one after that.
	log := e.relay.Exchanges("")
	for role, agent := range agentOf {
		refused := slices.IndexFunc(log, func(x roomtest.Exchange) bool {
			return x.Status == http.StatusUnauthorized && x.Header.Get("User-Agent") == agent
		})
		if refused < 0 {
			t.Errorf("%s: no request was refused for its revoked token", role)
			continue
		}
		if !slices.ContainsFunc(log[refused+1:], func(x roomtest.Exchange) bool {
			return x.Path == "/v1/auth/token" && x.Status == http.StatusOK && x.Header.Get("User-Agent") == agent
		}) {
			t.Errorf("%s: no new token after the revocation", role)
		}
	}
}

// TestLostAndCutAnswers: the clean room's answer to an upload is lost
// after it accepted the part, and a relayed part and the results arrive
// cut short; the flows send and fetch again and get the truth.
func TestLostAndCutAnswers(t *testing.T) {
	e := newEnv(t, testPolicy, 700)
	e.relay.Inject("PUT /blinded", 1, roomtest.Drop())
	e.relay.Inject("PUT /reblinded", 1, roomtest.Drop())
	e.relay.Inject("GET /counterpart", 1, roomtest.Truncate())
	e.relay.Inject("GET /results", 1, roomtest.Truncate())
	as, ps := runBoth(t, context.Background(), e.options(t, api.RoleAdvertiser), e.options(t, api.RoleMediaPartner))
	want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments)
	if *as.Overlap != want.overlap || *ps.Overlap != want.overlap {
		t.Fatalf("overlap %d / %d, want %d", *as.Overlap, *ps.Overlap, want.overlap)
	}
	checkActivation(t, e.partnerDir, want.activation)
	for _, route := range []string{"PUT /blinded", "PUT /reblinded", "GET /counterpart", "GET /results"} {
		log := e.relay.Exchanges(route)
		hit := slices.IndexFunc(log, func(x roomtest.Exchange) bool { return x.Fault })
		if hit < 0 || log[hit].Status != http.StatusOK {
			t.Fatalf("%s: no request was answered by the clean room and then lost or cut", route)
		}
		// The same bytes went again (an upload) or the same thing was
		// fetched again, by the same party, and the room answered.
		lost := log[hit]
		if !slices.ContainsFunc(log[hit+1:], func(x roomtest.Exchange) bool {
			return x.Header.Get("User-Agent") == lost.Header.Get("User-Agent") && x.Query == lost.Query &&
				bytes.Equal(x.Body, lost.Body) && x.Status == http.StatusOK
		}) {
			t.Errorf("%s: the request whose answer was lost or cut was not sent again unchanged", route)
		}
	}
}

// interruptAfterFirstPart runs the advertiser alone, one part at a time,
// until its first blinded part is committed, then cancels it.
func interruptAfterFirstPart(t *testing.T, e *env) {
	t.Helper()
	// The partner joins up front so that the advertiser may upload.
	if _, err := e.client(t, api.RoleMediaPartner).Join(context.Background(), e.session.ID, e.session.PolicyHash); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.relay.After("PUT /blinded", func(x roomtest.Exchange) {
		if x.Status == http.StatusOK && x.Header.Get("User-Agent") == agentOf[api.RoleAdvertiser] {
			cancel()
		}
	})
	// One part at a time, so that exactly one is in.
	o := e.options(t, api.RoleAdvertiser)
	o.Parallel = 1
	if _, err := Run(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if parts := e.state(t).Uploads.Advertiser.BlindedParts; parts != 1 {
		t.Fatalf("%d parts uploaded before the interruption, want 1", parts)
	}
	if _, err := keystore.Load(e.advKeys, e.session.ID); err != nil {
		t.Fatalf("the key must survive an interruption: %v", err)
	}
}

func TestResume(t *testing.T) {
	t.Run("skips the parts the clean room holds", func(t *testing.T) {
		e := newEnv(t, testPolicy, 0)
		interruptAfterFirstPart(t, e)
		as, _ := runBoth(t, context.Background(), e.options(t, api.RoleAdvertiser), e.options(t, api.RoleMediaPartner))
		if as.SkippedParts != 1 {
			t.Errorf("skipped parts = %d, want 1", as.SkippedParts)
		}
		want := truthOf(t, e.adv, e.partner, testPolicy, e.session.Segments)
		if *as.Overlap != want.overlap {
			t.Errorf("overlap %d, want %d", *as.Overlap, want.overlap)
		}
		checkActivation(t, e.partnerDir, want.activation)
	})
	t.Run("re-sends identical parts without its state", func(t *testing.T) {
		e := newEnv(t, testPolicy, 0)
		interruptAfterFirstPart(t, e)
		if err := keystore.WriteState(e.advKeys, e.session.ID, []byte("lost")); err != nil {
			t.Fatal(err)
		}
		as, _ := runBoth(t, context.Background(), e.options(t, api.RoleAdvertiser), e.options(t, api.RoleMediaPartner))
		if as.SkippedParts != 0 {
			t.Errorf("skipped parts = %d, want 0", as.SkippedParts)
		}
		// Part 0 arrived twice, the same bytes, and the clean room
		// acknowledged both (other bytes would have been a 409 conflict).
		var part0 []roomtest.Exchange
		for _, x := range e.exchanges(api.RoleAdvertiser, "PUT /blinded") {
			if partNumber(t, x.Body) == 0 {
				part0 = append(part0, x)
			}
		}
		if len(part0) != 2 || !bytes.Equal(part0[0].Body, part0[1].Body) || part0[0].Status != http.StatusOK || part0[1].Status != http.StatusOK {
			t.Fatalf("part 0 received %d times", len(part0))
		}
	})
	t.Run("refuses a changed input", func(t *testing.T) {
		e := newEnv(t, testPolicy, 0)
		interruptAfterFirstPart(t, e)
		e.adv[3].consent, e.adv[3].reason = "", noBasis
		os.Rename(writeCSV(t, e.adv, true), e.advIn)
		if _, err := Run(context.Background(), e.options(t, api.RoleAdvertiser)); !errors.Is(err, ErrInputChanged) {
			t.Fatalf("err = %v, want ErrInputChanged", err)
		}
	})
	t.Run("refuses a changed key", func(t *testing.T) {
		e := newEnv(t, testPolicy, 0)
		interruptAfterFirstPart(t, e)
		path := filepath.Join(e.advKeys, e.session.ID+".key")
		key, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		key[0] ^= 1
		os.WriteFile(path, key, 0o600)
		if _, err := Run(context.Background(), e.options(t, api.RoleAdvertiser)); !errors.Is(err, ErrKeyChanged) {
			t.Fatalf("err = %v, want ErrKeyChanged", err)
		}
	})
	t.Run("does not record a changed key whose state was lost", func(t *testing.T) {
		e := newEnv(t, testPolicy, 0)
		interruptAfterFirstPart(t, e)
		if err := keystore.WriteState(e.advKeys, e.session.ID, []byte("lost")); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(e.advKeys, e.session.ID+".key")
		key, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		key[0] ^= 1
		os.WriteFile(path, key, 0o600)
		// The clean room refuses the re-sent part 0, every time: the
		// refused key must not become the recorded one.
		for range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := Run(ctx, e.options(t, api.RoleAdvertiser))
			cancel()
			if !errors.Is(err, ErrInputChanged) || !strings.Contains(err.Error(), "another session key") {
				t.Fatalf("err = %v, want ErrInputChanged from the clean room's conflict", err)
			}
		}
	})
	t.Run("refuses a changed option", func(t *testing.T) {
		e := newEnv(t, testPolicy, 0)
		interruptAfterFirstPart(t, e)
		o := e.options(t, api.RoleAdvertiser)
		o.Columns.Segments = ""
		_, err := Run(context.Background(), o)
		if !errors.Is(err, ErrInputChanged) || !strings.Contains(err.Error(), `the segments column (--segments-column) was "segments", now ""`) {
			t.Fatalf("err = %v, want ErrInputChanged naming the segments column", err)
		}
	})
	t.Run("refuses to go on without the key", func(t *testing.T) {
		e := newEnv(t, testPolicy, 0)
		interruptAfterFirstPart(t, e)
		keystore.Delete(e.advKeys, e.session.ID)
		if _, err := Run(context.Background(), e.options(t, api.RoleAdvertiser)); !errors.Is(err, ErrKeyLost) {
			t.Fatalf("err = %v, want ErrKeyLost", err)
		}
		if _, err := keystore.Load(e.advKeys, e.session.ID); !errors.Is(err, keystore.ErrNoKey) {
			t.Fatalf("a useless new key was kept: %v", err)
		}
	})
}

func TestPartnerJoinRules(t *testing.T) {
	e := newEnv(t, testPolicy, 0)
	o := e.options(t, api.RoleMediaPartner)
	o.AcceptPolicyHash = ""
	if _, err := Run(context.Background(), o); !errors.Is(err, ErrNotJoined) {
		t.Errorf("not joined: err = %v", err)
	}
	o.AcceptPolicyHash = strings.Repeat("0", 64)
	if _, err := Run(context.Background(), o); !errors.Is(err, ErrPolicyHash) {
		t.Errorf("other hash: err = %v", err)
	}
	if state := e.state(t).State; state != api.StateCreated {
		t.Errorf("the flow joined: %s", state)
	}
	o = e.options(t, api.RoleMediaPartner)
	o.Columns.Segments = "note"
	if _, err := Run(context.Background(), o); !errors.Is(err, ErrSegmentsColumn) {
		t.Errorf("segments column: err = %v", err)
	}
}

func TestRoleChecks(t *testing.T) {
	e := newEnv(t, testPolicy, 0)
	o := e.options(t, api.RoleAdvertiser)
	o.Role = api.RoleMediaPartner // the token says advertiser
	if _, err := Run(context.Background(), o); !errors.Is(err, ErrNotMember) {
		t.Errorf("err = %v, want ErrNotMember", err)
	}
}

func TestTooFewRows(t *testing.T) {
	e := newEnv(t, `{"min_rows": 5000}`, 0)
	_, err := Run(context.Background(), e.options(t, api.RoleAdvertiser))
	if !errors.Is(err, ErrTooFewRows) {
		t.Fatalf("err = %v, want ErrTooFewRows", err)
	}
	checkRejects(t, e.advDir, e.adv) // the user learns why
	if sent := e.exchanges(api.RoleAdvertiser, "PUT /blinded"); len(sent) != 0 {
		t.Fatalf("%d parts uploaded", len(sent))
	}
}

func TestOptionsRequired(t *testing.T) {
	e := newEnv(t, testPolicy, 0)
	for name, edit := range map[string]func(*Options){
		"no consent column": func(o *Options) { o.Columns.Consent = "" },
		"no id column":      func(o *Options) { o.Columns.ID = "" },
		"no output":         func(o *Options) { o.OutDir = "" },
		"bad region":        func(o *Options) { o.DefaultRegion = "XX" },
		"bad role":          func(o *Options) { o.Role = api.RoleAuditor },
	} {
		o := e.options(t, api.RoleAdvertiser)
		edit(&o)
		if _, err := Run(context.Background(), o); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestPartSize(t *testing.T) {
	attrs, _ := policy.Default().Attrs(3)
	for _, h := range []wire.Header{
		{Kind: wire.KindBlinded, Attrs: attrs},
		{Kind: wire.KindBlinded},
		{Kind: wire.KindJoin},
	} {
		for _, n := range []int{0, 1, 65535, 65536, 65537, 140000} {
			h.Final = true
			var w countWriter
			pw, _ := wire.NewWriter(&w, h)
			rec := make([]byte, h.RecordSize())
			for range n {
				pw.WriteRecord(rec)
			}
			if err := pw.Close(); err != nil {
				t.Fatal(err)
			}
			if got := partSize(h, n, n); got != int64(w) {
				t.Errorf("kind %v, %d attrs, %d records: partSize %d, encoded %d", h.Kind, len(h.Attrs), n, got, w)
			}
		}
	}
}

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}

func TestCountReason(t *testing.T) {
	for _, tc := range []struct {
		rule policy.Rule
		want string
	}{
		{policy.Rule{AnyOf: []int{7, 9}}, "no lawful basis for counting (purposes 7/9)"},
		{policy.Rule{AllOf: []int{1, 7}}, "no lawful basis for counting (purposes 1+7)"},
		{policy.Rule{AnyOf: []int{8}}, "no lawful basis for counting (purpose 8)"},
	} {
		if got := countReason(tc.rule); got != tc.want {
			t.Errorf("countReason(%+v) = %q", tc.rule, got)
		}
	}
}

func TestUploadPermutation(t *testing.T) {
	k1, _, _ := keystore.LoadOrCreate(t.TempDir(), "a", rand.Reader)
	k2, _, _ := keystore.LoadOrCreate(t.TempDir(), "b", rand.Reader)
	var s1, s2 [16]byte
	s2[0] = 1
	p1, _ := uploadPermutation(k1, s1, 1000)
	again, _ := uploadPermutation(k1, s1, 1000)
	other, _ := uploadPermutation(k2, s1, 1000)
	otherSession, _ := uploadPermutation(k1, s2, 1000)
	if !slices.Equal(p1, again) {
		t.Fatal("the permutation is not reproducible from the key")
	}
	if slices.Equal(p1, other) || slices.Equal(p1, otherSession) {
		t.Fatal("another key or session gave the same permutation")
	}
	sorted := slices.Clone(p1)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != uint32(i) {
			t.Fatal("not a permutation")
		}
	}
}
