package flow

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/internal/roomtest"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/wire"
	"github.com/blindjoin/blindjoin/protocol/wire/wiretest"
)

const testPolicy = `{"min_rows": 100, "k": 5}`

// testFloor lets sessions use testPolicy's small thresholds.
const testFloor = testPolicy

var testSegments = []string{"sports", "travel", "luxury"}

const (
	advName     = "acme-retail"
	partnerName = "daily-news"
)

// The User-Agent of each party's client, by which the relay's log tells
// the parties apart.
var agentOf = map[api.Role]string{api.RoleAdvertiser: "flow-test-advertiser", api.RoleMediaPartner: "flow-test-partner"}

// env is a real clean room behind a fault-injecting relay, one session
// created by the advertiser, and the two parties' inputs.
type env struct {
	room         *roomtest.Room
	relay        *roomtest.Faults
	session      api.Session // as created
	advKey       string
	partnerKey   string
	adv, partner []genRow
	advIn        string
	partnerIn    string
	advDir       string // output
	partnerDir   string
	advKeys      string // key store
	partnerKeys  string
	mu           sync.Mutex
	clientWait   []time.Duration // backoffs the clients asked for
}

// newEnv starts a clean room that relays sets in parts of relayRecords
// records (0: one part) and creates a session under policyJSON.
func newEnv(t *testing.T, policyJSON string, relayRecords int) *env {
	t.Helper()
	e := &env{
		room:    roomtest.Start(t, roomtest.Options{Floor: testFloor, RelayPartRecords: relayRecords}),
		adv:     genAudience(0, 1500, true),
		partner: genAudience(800, 2000, false),
	}
	e.relay = roomtest.NewFaults(t, e.room.URL)
	e.advKey = e.room.AddParty(t, advName, api.RoleAdvertiser)
	e.partnerKey = e.room.AddParty(t, partnerName, api.RoleMediaPartner)
	direct, err := client.New(client.Config{BaseURL: e.room.URL, APIKey: client.Secret(e.advKey)})
	if err != nil {
		t.Fatal(err)
	}
	e.session, err = direct.CreateSession(context.Background(), api.CreateSessionRequest{
		Partner: partnerName, MatchKey: api.MatchKeyEmail, Policy: []byte(policyJSON), Segments: testSegments})
	if err != nil {
		t.Fatal(err)
	}
	e.advIn, e.partnerIn = writeCSV(t, e.adv, true), writeCSV(t, e.partner, false)
	dir := t.TempDir()
	e.advDir, e.partnerDir = filepath.Join(dir, "adv-out"), filepath.Join(dir, "pub-out")
	e.advKeys, e.partnerKeys = filepath.Join(dir, "adv-keys"), filepath.Join(dir, "pub-keys")
	return e
}

// client is a party's client, through the relay.
func (e *env) client(t *testing.T, role api.Role) *client.Client {
	t.Helper()
	key := e.advKey
	if role == api.RoleMediaPartner {
		key = e.partnerKey
	}
	c, err := client.New(client.Config{
		BaseURL: e.relay.URL, APIKey: client.Secret(key), UserAgent: agentOf[role],
		Sleep: func(ctx context.Context, d time.Duration) error {
			e.mu.Lock()
			e.clientWait = append(e.clientWait, d)
			e.mu.Unlock()
			return ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fastSleep(ctx context.Context, _ time.Duration) error {
	select {
	case <-time.After(time.Millisecond):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *env) options(t *testing.T, role api.Role) Options {
	o := Options{
		SessionID: e.session.ID, Sleep: fastSleep, BatchSize: 64,
	}
	o.Client = e.client(t, role)
	if role == api.RoleAdvertiser {
		o.Input, o.OutDir, o.KeyDir = e.advIn, e.advDir, e.advKeys
		o.Columns = csvin.Columns{ID: "email", Segments: "segments", Consent: "tcf"}
		o.PartRecords = 300
	} else {
		o.Input, o.OutDir, o.KeyDir = e.partnerIn, e.partnerDir, e.partnerKeys
		o.Columns = csvin.Columns{ID: "EMAIL", Consent: "consent"}
		o.PartRecords = 400
		o.AcceptPolicyHash = e.session.PolicyHash
	}
	return o
}

// state is the session's state as the clean room reports it.
func (e *env) state(t *testing.T) api.Session {
	t.Helper()
	s, err := e.client(t, api.RoleAdvertiser).Session(context.Background(), e.session.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// exchanges is the relay's log of one party's requests matching match.
func (e *env) exchanges(role api.Role, match string) []roomtest.Exchange {
	return slices.DeleteFunc(e.relay.Exchanges(match), func(x roomtest.Exchange) bool {
		return x.Header.Get("User-Agent") != agentOf[role]
	})
}

// uploadedBits returns the attribute bits of every record of the blinded
// parts the clean room accepted from a side, each part once.
func (e *env) uploadedBits(t *testing.T, role api.Role) []uint64 {
	t.Helper()
	var out []uint64
	accepted := map[uint32]bool{}
	for _, x := range e.exchanges(role, "PUT /blinded") {
		if x.Status != http.StatusOK {
			continue
		}
		part := wiretest.Decode(t, x.Body)
		if accepted[part.Header.Part] {
			continue
		}
		accepted[part.Header.Part] = true
		for _, rec := range part.Records {
			out = append(out, wire.UnpackAttrs(rec[wire.ElementSize:]))
		}
	}
	return out
}

// partNumber is the part index of an uploaded part's body.
func partNumber(t *testing.T, body []byte) uint32 {
	t.Helper()
	return wiretest.Decode(t, body).Header.Part
}
