package session

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

// smallPolicy lets tests run whole sessions on a few dozen rows.
const smallPolicy = `{"min_rows": 10, "k": 5}`

// small is a session on small sets, advanced to some state.
type small struct {
	id     string
	hash   string
	a, b   *partyData
	joinA  [][]byte // the advertiser's join parts, once relayed
	blindB [][]byte // the partner's blinded parts
}

func smallParties(t testing.TB, policyJSON string, segments int) (*partyData, *partyData) {
	t.Helper()
	pol, err := policy.Parse([]byte(policyJSON))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	a := newParty(t, adv, genRows(rng, span(0, 60), segments), pol, segments)
	b := newParty(t, partner, genRows(rng, span(20, 90), 0), pol, 0)
	return a, b
}

// smallAt builds a session in the given state.
func (h *harness) smallAt(state api.State) *small {
	h.t.Helper()
	ctx := context.Background()
	s := &small{}
	s.a, s.b = smallParties(h.t, smallPolicy, 0)
	var sess api.Session
	if state == api.StateCreated {
		sess = h.create(smallPolicy)
	} else {
		sess = h.createJoined(smallPolicy)
	}
	s.id, s.hash = sess.ID, sess.PolicyHash
	s.blindB = wiretest.Parts(h.t, s.id, wire.KindBlinded, s.b.attrs, s.b.blindedRecords(h.t), 30)
	switch state {
	case api.StateCreated, api.StateJoined:
		return s
	case api.StateExpired:
		h.clock.Advance(DefaultExpireAfter)
		if err := h.svc.Sweep(ctx); err != nil {
			h.t.Fatal(err)
		}
		return s
	}
	h.uploadBlinded(s.id, s.a, 25)
	if state == api.StateUploading {
		return s
	}
	for _, p := range s.blindB {
		if _, err := h.svc.PutBlinded(ctx, partner, s.id, bytes.NewReader(p)); err != nil {
			h.t.Fatal(err)
		}
	}
	s.joinA = wiretest.Reblind(h.t, s.a.key, h.download(s.id, adv))
	if state == api.StateExchanging {
		return s
	}
	h.uploadReblinded(s.id, adv, s.joinA)
	h.uploadReblinded(s.id, partner, wiretest.Reblind(h.t, s.b.key, h.download(s.id, partner)))
	if state == api.StatePurged {
		if _, err := h.svc.Delete(ctx, adv, s.id); err != nil {
			h.t.Fatal(err)
		}
	}
	return s
}

// extraPart is a blinded part of the partner that no state has yet: part
// 7, starting at record 500.
func (s *small) extraPart(t testing.TB) []byte {
	t.Helper()
	h := wire.Header{Kind: wire.KindBlinded, Session: wiretest.SessionID(t, s.id), Part: 7, First: 500, Attrs: s.b.attrs}
	return wiretest.Part(t, h, s.b.blindedRecords(t)[:1])
}

func TestWrongState(t *testing.T) {
	ok := error(nil)
	type call struct {
		name string
		run  func(h *harness, s *small) error
		want map[api.State]error // by state; absent means ErrWrongState
	}
	calls := []call{
		{"Join", func(h *harness, s *small) error {
			_, err := h.svc.Join(context.Background(), partner, s.id, api.JoinRequest{PolicyHash: s.hash})
			return err
		}, map[api.State]error{api.StateCreated: ok, api.StateJoined: ok}},
		{"PutBlinded", func(h *harness, s *small) error {
			_, err := h.svc.PutBlinded(context.Background(), partner, s.id, bytes.NewReader(s.extraPart(h.t)))
			return err
		}, map[api.State]error{api.StateJoined: ok, api.StateUploading: ok}},
		{"Counterpart", func(h *harness, s *small) error {
			d, err := h.svc.Counterpart(context.Background(), adv, s.id, 0)
			if err == nil {
				d.Body.Close()
			}
			return err
		}, map[api.State]error{api.StateExchanging: ok}},
		{"PutReblinded", func(h *harness, s *small) error {
			part := []byte("not even a part")
			if s.joinA != nil {
				part = s.joinA[0]
			}
			_, err := h.svc.PutReblinded(context.Background(), adv, s.id, bytes.NewReader(part))
			return err
		}, map[api.State]error{api.StateExchanging: ok, api.StateComputed: ok}}, // computed: identical re-send
		{"Results", func(h *harness, s *small) error {
			_, err := h.svc.Results(context.Background(), partner, s.id)
			return err
		}, map[api.State]error{api.StateComputed: ok, api.StatePurged: ok}},
		{"Get", func(h *harness, s *small) error {
			_, err := h.svc.Get(context.Background(), partner, s.id)
			return err
		}, map[api.State]error{api.StateCreated: ok, api.StateJoined: ok, api.StateUploading: ok, api.StateExchanging: ok,
			api.StateComputed: ok, api.StatePurged: ok, api.StateExpired: ok}},
		{"Delete", func(h *harness, s *small) error {
			_, err := h.svc.Delete(context.Background(), adv, s.id)
			return err
		}, map[api.State]error{api.StateCreated: ok, api.StateJoined: ok, api.StateUploading: ok, api.StateExchanging: ok,
			api.StateComputed: ok}},
	}
	states := []api.State{api.StateCreated, api.StateJoined, api.StateUploading, api.StateExchanging,
		api.StateComputed, api.StatePurged, api.StateExpired}
	for _, state := range states {
		t.Run(string(state), func(t *testing.T) {
			h := newHarness(t)
			for _, c := range calls {
				s := h.smallAt(state)
				err := c.run(h, s)
				want, listed := c.want[state]
				if !listed {
					var se *StateError
					if !errors.As(err, &se) || !errors.Is(err, ErrWrongState) || se.State != state {
						t.Errorf("%s in %s: error %v, want a StateError naming %s", c.name, state, err, state)
					}
					continue
				}
				if !errors.Is(err, want) && err != want {
					t.Errorf("%s in %s: error %v, want %v", c.name, state, err, want)
				}
			}
		})
	}
}

// everyCall invokes each method of the service as p and returns the errors.
func everyCall(h *harness, p Principal, id string) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["Get"] = h.svc.Get(ctx, p, id)
	_, errs["Join"] = h.svc.Join(ctx, p, id, api.JoinRequest{PolicyHash: strings.Repeat("0", 64)})
	_, errs["PutBlinded"] = h.svc.PutBlinded(ctx, p, id, strings.NewReader("x"))
	var d Download
	d, errs["Counterpart"] = h.svc.Counterpart(ctx, p, id, 0)
	if d.Body != nil {
		d.Body.Close()
	}
	_, errs["PutReblinded"] = h.svc.PutReblinded(ctx, p, id, strings.NewReader("x"))
	_, errs["Results"] = h.svc.Results(ctx, p, id)
	_, errs["Transcript"] = h.svc.Transcript(ctx, p, id)
	_, errs["Delete"] = h.svc.Delete(ctx, p, id)
	return errs
}

func TestNonMemberSeesNothing(t *testing.T) {
	h := newHarness(t)
	s := h.smallAt(api.StateExchanging)
	missing := strings.Repeat("ab", 16)
	for _, id := range []string{s.id, missing, "not-an-id", strings.ToUpper(s.id), s.id + "00", ""} {
		for _, p := range []Principal{rivalA, rivalP, otherAu,
			{Party: adv.Party, Role: api.RoleMediaPartner}, // right name, wrong role
			{Party: partner.Party, Role: api.RoleAuditor}} {
			for name, err := range everyCall(h, p, id) {
				if err != errNoSession {
					t.Errorf("%s as %s on %q: %v, want the not-found error", name, p.Party, id, err)
				}
			}
		}
	}
	for _, p := range []Principal{rivalA, rivalP, otherAu} {
		list, err := h.svc.List(context.Background(), p)
		if err != nil || len(list) != 0 {
			t.Errorf("List as %s = %d sessions, %v", p.Party, len(list), err)
		}
	}
	// Nothing changed.
	got, err := h.svc.Get(context.Background(), adv, s.id)
	if err != nil || got.State != api.StateExchanging {
		t.Fatalf("session after probing: %v %v", got.State, err)
	}
}

func TestAuditorReadsOnly(t *testing.T) {
	h := newHarness(t)
	s := h.smallAt(api.StateComputed)
	for name, err := range everyCall(h, aud, s.id) {
		switch name {
		case "Get", "Transcript":
			if err != nil {
				t.Errorf("auditor %s: %v", name, err)
			}
		default:
			wantForbidden(t, name, err)
		}
	}
	list, err := h.svc.List(context.Background(), aud)
	if err != nil || len(list) != 1 || list[0].ID != s.id {
		t.Fatalf("auditor List = %v, %v", list, err)
	}
}

func wantForbidden(t *testing.T, name string, err error) {
	t.Helper()
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("%s: %v, want ErrForbidden", name, err)
	}
}

func TestRoles(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	for _, p := range []Principal{partner, aud} {
		_, err := h.svc.Create(ctx, p, api.CreateSessionRequest{Partner: partner.Party, MatchKey: api.MatchKeyEmail})
		wantForbidden(t, "Create as "+string(p.Role), err)
	}
	s := h.create(smallPolicy)
	_, err := h.svc.Join(ctx, adv, s.ID, api.JoinRequest{PolicyHash: s.PolicyHash})
	wantForbidden(t, "Join as advertiser", err)
	_, err = h.svc.Join(ctx, partner, s.ID, api.JoinRequest{PolicyHash: strings.Repeat("0", 64)})
	wantErr(t, err, ErrConflict)
	got, err := h.svc.Get(ctx, partner, s.ID)
	if err != nil || got.State != api.StateCreated {
		t.Fatalf("a refused join changed the session: %v %v", got.State, err)
	}
	for range 2 { // joining twice is harmless
		got, err = h.svc.Join(ctx, partner, s.ID, api.JoinRequest{PolicyHash: s.PolicyHash})
		if err != nil || got.State != api.StateJoined {
			t.Fatalf("Join = %v, %v", got.State, err)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	h := newHarness(t)
	good := func() api.CreateSessionRequest {
		return api.CreateSessionRequest{Partner: partner.Party, MatchKey: api.MatchKeyPhone, Segments: []string{"a", "b"}, Auditors: []string{aud.Party}}
	}
	many := make([]string, 65)
	for i := range many {
		many[i] = "s" + strings.Repeat("x", i%60) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	cases := []struct {
		name  string
		edit  func(*api.CreateSessionRequest)
		want  error
		field string
	}{
		{"unknown partner", func(r *api.CreateSessionRequest) { r.Partner = "nobody" }, ErrBadRequest, "partner"},
		{"partner is an advertiser", func(r *api.CreateSessionRequest) { r.Partner = rivalA.Party }, ErrBadRequest, "partner"},
		{"revoked partner", func(r *api.CreateSessionRequest) { r.Partner = revoked.Party }, ErrBadRequest, "partner"},
		{"match key", func(r *api.CreateSessionRequest) { r.MatchKey = "sha256" }, ErrBadRequest, "match_key"},
		{"empty match key", func(r *api.CreateSessionRequest) { r.MatchKey = "" }, ErrBadRequest, "match_key"},
		{"segment name", func(r *api.CreateSessionRequest) { r.Segments = []string{"ok", "not ok"} }, ErrBadRequest, "segments[1]"},
		{"empty segment", func(r *api.CreateSessionRequest) { r.Segments = []string{""} }, ErrBadRequest, "segments[0]"},
		{"duplicate segment", func(r *api.CreateSessionRequest) { r.Segments = []string{"a", "a"} }, ErrBadRequest, "segments[1]"},
		{"65 segments", func(r *api.CreateSessionRequest) { r.Segments = many }, ErrBadRequest, "segments"},
		{"auditor unknown", func(r *api.CreateSessionRequest) { r.Auditors = []string{"nobody"} }, ErrBadRequest, "auditors[0]"},
		{"auditor role", func(r *api.CreateSessionRequest) { r.Auditors = []string{aud.Party, partner.Party} }, ErrBadRequest, "auditors[1]"},
		{"auditor twice", func(r *api.CreateSessionRequest) { r.Auditors = []string{aud.Party, aud.Party} }, ErrBadRequest, "auditors[1]"},
		{"policy syntax", func(r *api.CreateSessionRequest) { r.Policy = []byte(`{"k": 50,}`) }, ErrBadRequest, ""},
		{"policy unknown field", func(r *api.CreateSessionRequest) { r.Policy = []byte(`{"kk": 50}`) }, ErrBadRequest, ""},
		{"policy k below floor", func(r *api.CreateSessionRequest) { r.Policy = []byte(`{"k": 2}`) }, ErrPolicyViolation, ""},
		{"policy retention above floor", func(r *api.CreateSessionRequest) { r.Policy = []byte(`{"retention_days": 365}`) }, ErrPolicyViolation, ""},
		{"activation segment not in session", func(r *api.CreateSessionRequest) { r.Policy = []byte(`{"activation_segments": ["zzz"]}`) }, ErrBadRequest, ""},
	}
	for _, c := range cases {
		req := good()
		c.edit(&req)
		_, err := h.svc.Create(context.Background(), adv, req)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			continue
		}
		var re *RequestError
		if c.field != "" && (!errors.As(err, &re) || re.Field != c.field) {
			t.Errorf("%s: %v, want field %s", c.name, err, c.field)
		}
	}
	// A looser policy is refused naming the fields.
	req := good()
	req.Policy = []byte(`{"k": 2, "min_rows": 1}`)
	_, err := h.svc.Create(context.Background(), adv, req)
	if err == nil || !strings.Contains(err.Error(), "min_rows") || !strings.Contains(err.Error(), "k") {
		t.Errorf("floor error %v does not name the fields", err)
	}
	list, _ := h.svc.List(context.Background(), adv)
	if len(list) != 0 {
		t.Fatalf("refused requests created %d sessions", len(list))
	}
	s, err := h.svc.Create(context.Background(), adv, good())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := parseID(s.ID); !ok || s.State != api.StateCreated || s.PolicyHash == "" || len(s.Policy) == 0 {
		t.Fatalf("created %+v", s)
	}
	pol, err := policy.Parse(s.Policy)
	if err != nil || pol.Hash() != s.PolicyHash || pol.K != 50 {
		t.Fatalf("stored policy %s: %v", s.Policy, err)
	}
}

func TestCounterpartPartRange(t *testing.T) {
	h := newHarness(t)
	s := h.smallAt(api.StateExchanging)
	for _, n := range []int{-1, 1, 1 << 30} {
		_, err := h.svc.Counterpart(context.Background(), adv, s.id, n)
		wantErr(t, err, ErrBadRequest)
	}
	d, err := h.svc.Counterpart(context.Background(), partner, s.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	b, _ := io.ReadAll(d.Body)
	if hdr := wiretest.Decode(t, b).Header; hdr.Kind != wire.KindElements || !hdr.Final || d.Parts != 1 {
		t.Fatalf("relayed header %+v, %d parts", hdr, d.Parts)
	}
}
