package attacks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/cleanroom/registry"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// A consent string and an identifier a confused or hostile client might
// send where the server echoes or logs names.
const (
	tcString   = "CP_h-0AQBzAEAAKACBENABEAAAAAAAAAAAAAAAAAAAAA.IAFP_AAA"
	tcCore     = "CP_h-0AQBzAEAAKACBENABEAAAAAAAAAAAAAAAAAAAAA"
	strayEmail = "stray.person@attack.example"
)

func init() {
	secrets.add("TC string", tcCore)
	secrets.add("identifier", strayEmail)
}

// TestAttackPathAndSQLMetacharacters: path traversal, SQL and LIKE
// metacharacters, NUL bytes and oversized values in session ids, party
// names, segment and auditor names, policy keys, query parameters and JSON
// field names are refused as plain "not found" or "bad request", never
// reach a file path or a query as code, never echo a name that could be
// personal data, and leave the database and the data directory as they
// were.
func TestAttackPathAndSQLMetacharacters(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	s := createSession(t, adv, partner, api.CreateSessionRequest{})
	part := newSide(t, adv, s, rows("inject", 0, 1000)).parts(t, 1000)[0]
	before := dataDirListing(t)

	for _, name := range []string{"x'; DROP TABLE parties; --", "../../etc/passwd", "a/b", "a b", "UPPER", "",
		"\x00", "%", "_", strings.Repeat("a", 65), tcCore} {
		_, err := operator.AddParty(context.Background(), shared.dir, name, api.RoleAdvertiser)
		if !errors.Is(err, registry.ErrInvalidName) {
			t.Fatalf("party name %q: %v", name, err)
		}
	}

	ids := []string{
		"'%20OR%20'1'='1", "1;DROP%20TABLE%20sessions;--", "..%2F..%2Fserver-secret", "%2e%2e", "..", "%00",
		"%25", "_", "*", strings.ToUpper(s.ID), s.ID + "%27", s.ID[:31], s.ID + "0", s.ID + "%00",
		strings.Repeat("a", 4000), "%E2%80%AE" + s.ID[1:], "%2Fetc%2Fpasswd",
	}
	for _, id := range ids {
		for _, rt := range []struct {
			method, suffix, ct string
			body               []byte
		}{
			{http.MethodGet, "", "", nil},
			{http.MethodGet, "/results", "", nil},
			{http.MethodGet, "/transcript", "", nil},
			{http.MethodPut, "/blinded", api.PartContentType, part},
			{http.MethodDelete, "", "", nil},
		} {
			r := adv.do(t, rt.method, "/v1/sessions/"+id+rt.suffix, rt.ct, bytes.NewReader(rt.body))
			expectError(t, rt.method+" session "+id+rt.suffix, r, http.StatusNotFound, api.CodeNotFound)
		}
	}
	for _, q := range []string{"1'%20OR%201=1", "..%2F0", "-1", "0x1", "1e3", "%00", "0&part=1"} {
		r := adv.do(t, http.MethodGet, "/v1/sessions/"+s.ID+"/counterpart?part="+q, "", nil)
		expectError(t, "counterpart ?part="+q, r, http.StatusBadRequest, api.CodeBadRequest)
	}

	create := func(req api.CreateSessionRequest) reply {
		if req.Partner == "" {
			req.Partner = partner.name
		}
		if req.MatchKey == "" {
			req.MatchKey = api.MatchKeyEmail
		}
		return adv.call(t, http.MethodPost, "/v1/sessions", req)
	}
	requests := map[string]api.CreateSessionRequest{
		"partner with SQL":         {Partner: "x' OR '1'='1"},
		"partner as a path":        {Partner: "../" + partner.name},
		"partner as an identifier": {Partner: strayEmail},
		"auditor with SQL":         {Auditors: []string{"a'); DROP TABLE sessions; --"}},
		"match key with SQL":       {MatchKey: "email' OR 1=1 --"},
		"segment with a quote":     {Segments: []string{"a'b"}},
		"segment as a path":        {Segments: []string{"../x"}},
		"segment with a format":    {Segments: []string{"%s%n"}},
		"policy key with SQL":      {Policy: json.RawMessage(`{"k'; DROP TABLE sessions; --": 1}`)},
		"policy key an identifier": {Policy: json.RawMessage(`{"` + strayEmail + `": 1}`)},
		"policy key a TC string":   {Policy: json.RawMessage(`{"dp": {"` + tcString + `": 1}}`)},
		"duplicate key an identifier": {Policy: json.RawMessage(
			`{"count_purposes": {"` + strayEmail + `": [7], "` + strayEmail + `": [7]}}`)},
		"activation segment with SQL": {Policy: json.RawMessage(`{"activation_segments": ["'; DROP TABLE x; --"]}`)},
	}
	for name, req := range requests {
		d := expectError(t, name, create(req), http.StatusBadRequest, api.CodeBadRequest)
		for _, secret := range []string{strayEmail, tcCore} {
			if strings.Contains(d.Message, secret) {
				t.Fatalf("%s: the error repeats the request's %q: %q", name, secret, d.Message)
			}
		}
	}
	for _, body := range []string{
		`{"partner":"` + partner.name + `","match_key":"email","` + strayEmail + `":1}`,
		`{"partner":"` + partner.name + `","match_key":"email","` + tcString + `":1}`,
		`{"partner":"` + partner.name + `","match_key":"email","policy":{"k":50}}` + "\x00",
	} {
		r := adv.do(t, http.MethodPost, "/v1/sessions", "application/json", strings.NewReader(body))
		d := expectError(t, "hostile JSON body", r, http.StatusBadRequest, api.CodeBadRequest)
		if strings.Contains(d.Message, "attack.example") || strings.Contains(d.Message, tcCore) {
			t.Fatalf("the error repeats a field name that is personal data: %q", d.Message)
		}
	}
	for _, key := range []string{tcString, "bjk_' OR '1'='1", "bjk_%' --"} {
		r := shared.send(t, shared.request(t, http.MethodPost, "/v1/auth/token", "application/json",
			strings.NewReader(`{"api_key":"`+key+`"}`)))
		expectError(t, "API key "+key, r, http.StatusUnauthorized, api.CodeUnauthenticated)
	}

	var list api.SessionList
	adv.expect(t, http.MethodGet, "/v1/sessions", nil, http.StatusOK, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != s.ID || list.Sessions[0].State != api.StateJoined {
		t.Fatalf("after the attack the advertiser lists %+v", list.Sessions)
	}
	if after := dataDirListing(t); !slices.Equal(before, after) {
		t.Fatalf("the data directory changed: %v -> %v", before, after)
	}
}

// dataDirListing lists the shared server's data directory, top level and
// one level down, without the files SQLite and the sessions churn: the
// parts/ and results/ directories gain a directory per session as the
// tests that share the server run their sessions.
func dataDirListing(t testing.TB) []string {
	t.Helper()
	var out []string
	top, err := os.ReadDir(shared.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range top {
		out = append(out, e.Name())
		if e.IsDir() && e.Name() != "parts" && e.Name() != "results" {
			sub, err := os.ReadDir(shared.dir + "/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range sub {
				out = append(out, e.Name()+"/"+f.Name())
			}
		}
	}
	return out
}
