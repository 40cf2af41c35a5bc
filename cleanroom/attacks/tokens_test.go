package attacks

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/auth"
	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/protocol/api"
)

// jwtClaims are the claims of a blindjoind access token.
type jwtClaims struct {
	Iss  string `json:"iss"`
	Sub  string `json:"sub"`
	Aud  string `json:"aud"`
	Exp  int64  `json:"exp"`
	Iat  int64  `json:"iat"`
	Jti  string `json:"jti"`
	Role string `json:"role"`
}

func claimsFor(p *party) jwtClaims {
	now := time.Now().Unix()
	return jwtClaims{Iss: operator.DefaultIssuer, Aud: operator.DefaultAudience, Sub: p.name, Role: string(p.role),
		Iat: now, Exp: now + 600, Jti: "attacker-token-id"}
}

// forge builds a compact JWS by hand: header and claims as JSON, signed by
// sign over "header.claims" (nil sign: empty signature).
func forge(t testing.TB, header map[string]any, claims any, sign func(in []byte) []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := enc(header) + "." + enc(claims)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	tok := in + "." + base64.RawURLEncoding.EncodeToString(sig)
	recordToken(tok)
	return tok
}

// jwks reads the server's published token keys.
func jwks(t testing.TB, srv *server) (kid string, partner []byte) {
	t.Helper()
	r := srv.send(t, srv.request(t, http.MethodGet, "/.well-known/jwks.json", "", nil))
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
			X   string `json:"x"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(r.body, &set); err != nil || len(set.Keys) == 0 {
		t.Fatalf("jwks: %d %s", r.status, r.body)
	}
	k := set.Keys[len(set.Keys)-1]
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil {
		t.Fatal(err)
	}
	return k.Kid, x
}

// expectUnauthenticated sends GET /v1/sessions with the given Authorization
// header and requires the fixed 401.
func expectUnauthenticated(t testing.TB, srv *server, name, authorization string) {
	t.Helper()
	req := srv.request(t, http.MethodGet, "/v1/sessions", "", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	r := srv.send(t, req)
	d := expectError(t, name, r, http.StatusUnauthorized, api.CodeUnauthenticated)
	if d.Message != "missing, invalid or expired credentials" || r.header.Get("WWW-Authenticate") == "" {
		t.Fatalf("%s: message %q, WWW-Authenticate %q", name, d.Message, r.header.Get("WWW-Authenticate"))
	}
}

// TestAttackForgedTokens: tokens made without the server's signing key,
// or a genuine token edited, are refused with one fixed 401 whatever is
// wrong with them: a foreign key under the server's kid, "alg": "none",
// HMAC keyed with the public key, an embedded or fetched key, a critical
// header, claims swapped under a genuine signature, re-encodings, size.
func TestAttackForgedTokens(t *testing.T) {
	t.Parallel()
	victim, attacker := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	kid, serverPub := jwks(t, shared)
	_, foreign, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edSign := func(in []byte) []byte { return ed25519.Sign(foreign, in) }
	hmacSign := func(in []byte) []byte {
		m := hmac.New(sha256.New, serverPub)
		m.Write(in)
		return m.Sum(nil)
	}
	c := claimsFor(victim)
	genuine := attacker.token
	parts := strings.Split(genuine, ".")
	swapped := parts[0] + "." + strings.Split(forge(t, map[string]any{}, c, nil), ".")[1] + "." + parts[2]
	longLived := c
	longLived.Exp = c.Iat + 24*3600

	cases := map[string]string{
		"foreign key under the server's kid": forge(t, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": kid}, c, edSign),
		"alg none":                           forge(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, c, nil),
		"alg none, signature kept":           forge(t, map[string]any{"alg": "none", "kid": kid}, c, edSign),
		"HS256 keyed with the public key":    forge(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}, c, hmacSign),
		"unknown kid":                        forge(t, map[string]any{"alg": "EdDSA", "kid": "attacker"}, c, edSign),
		"kid as a path":                      forge(t, map[string]any{"alg": "EdDSA", "kid": "../keys/token-signing.json"}, c, edSign),
		"embedded jwk": forge(t, map[string]any{"alg": "EdDSA", "kid": kid,
			"jwk": map[string]string{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(foreign.Public().(ed25519.PublicKey))}}, c, edSign),
		"jku to the attacker":                           forge(t, map[string]any{"alg": "EdDSA", "jku": "http://127.0.0.1:1/jwks.json"}, c, edSign),
		"critical header":                               forge(t, map[string]any{"alg": "EdDSA", "kid": kid, "crit": []string{"exp"}}, c, edSign),
		"day-long token, foreign key":                   forge(t, map[string]any{"alg": "EdDSA", "kid": kid}, longLived, edSign),
		"victim's claims, attacker's genuine signature": swapped,
		"genuine token, signature cut":                  parts[0] + "." + parts[1] + ".",
		"genuine token, two segments":                   parts[0] + "." + parts[1],
		"genuine token, extra segment":                  genuine + "." + parts[2],
		"genuine token, inner space":                    parts[0] + "." + parts[1][:10] + " " + parts[1][10:] + "." + parts[2],
		"genuine token, padded base64":                  genuine + "==",
		"genuine token, 5000 bytes":                     genuine + strings.Repeat("A", 5000),
	}
	for name, tok := range cases {
		expectUnauthenticated(t, shared, name, "Bearer "+tok)
	}
	expectUnauthenticated(t, shared, "no header", "")
	expectUnauthenticated(t, shared, "API key as bearer token", "Bearer "+attacker.apiKey)
	expectUnauthenticated(t, shared, "token under Basic", "Basic "+genuine)
	expectUnauthenticated(t, shared, "scheme only", "Bearer")

	// The genuine token still works: the refusals were about the forgeries.
	if r := attacker.call(t, http.MethodGet, "/v1/sessions", nil); r.status != http.StatusOK {
		t.Fatalf("genuine token: %d", r.status)
	}
}

// TestAttackExpiredTokens: tokens signed with the server's own key but out
// of their validity window (expired, issued in the future) or for another
// issuer or audience are refused.
func TestAttackExpiredTokens(t *testing.T) {
	t.Parallel()
	p := shared.register(t, api.RoleAdvertiser)
	kr, err := auth.OpenKeyring(shared.dir, time.Now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(issuer, audience string, skew time.Duration) string {
		a, err := auth.NewAuthority(kr, issuer, audience, auth.MaxTokenLifetime,
			func() time.Time { return time.Now().Add(skew) }, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Issue(p.name, p.role)
		if err != nil {
			t.Fatal(err)
		}
		recordToken(tok)
		return tok
	}
	for name, tok := range map[string]string{
		"expired an hour ago":   issue(operator.DefaultIssuer, operator.DefaultAudience, -time.Hour-auth.MaxTokenLifetime),
		"expired a minute ago":  issue(operator.DefaultIssuer, operator.DefaultAudience, -auth.MaxTokenLifetime-auth.Leeway-time.Minute),
		"issued in an hour":     issue(operator.DefaultIssuer, operator.DefaultAudience, time.Hour),
		"another issuer":        issue("another-clean-room", operator.DefaultAudience, 0),
		"another audience":      issue(operator.DefaultIssuer, "another-api", 0),
		"control: valid itself": "",
	} {
		if tok == "" {
			tok = issue(operator.DefaultIssuer, operator.DefaultAudience, 0)
			req := shared.request(t, http.MethodGet, "/v1/sessions", "", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if r := shared.send(t, req); r.status != http.StatusOK {
				t.Fatalf("%s: %d; the other cases prove nothing", name, r.status)
			}
			continue
		}
		expectUnauthenticated(t, shared, name, "Bearer "+tok)
	}
}

// TestAttackReplayedTokens: a captured access token is a bearer
// credential, valid until it expires (15 minutes at most) and across a key
// rotation; it is refused by another clean room, and at once for a party
// the operator revoked, as is its API key.
func TestAttackReplayedTokens(t *testing.T) {
	t.Parallel()
	srv := newServer(t, serverOptions{})
	p := srv.register(t, api.RoleMediaPartner)
	captured := p.token
	for range 3 {
		if r := p.call(t, http.MethodGet, "/v1/sessions", nil); r.status != http.StatusOK {
			t.Fatalf("replay: %d", r.status)
		}
	}
	expectUnauthenticated(t, shared, "token of another clean room", "Bearer "+captured)

	if _, err := operator.RotateKeys(srv.dir); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the keyring notices a rotation within a second
	if r := p.call(t, http.MethodGet, "/v1/sessions", nil); r.status != http.StatusOK {
		t.Fatalf("token signed before a rotation: %d", r.status)
	}
	if fresh := p.login(t); strings.Split(fresh, ".")[0] == strings.Split(captured, ".")[0] {
		t.Fatal("a token issued after the rotation names the old key")
	}

	if err := operator.RevokeParty(t.Context(), srv.dir, p.name); err != nil {
		t.Fatal(err)
	}
	expectUnauthenticated(t, srv, "token of a revoked party", "Bearer "+captured)
	body, _ := json.Marshal(api.TokenRequest{APIKey: p.apiKey})
	r := srv.send(t, srv.request(t, http.MethodPost, "/v1/auth/token", "application/json", bytes.NewReader(body)))
	expectError(t, "API key of a revoked party", r, http.StatusUnauthorized, api.CodeUnauthenticated)
}

// TestAttackCrossPartyTokens: valid tokens of parties that are not members
// of a session see nothing of it (404, as for a session that does not
// exist); members are held to their role: the partner cannot create, the
// advertiser cannot join, the auditor can read the session and its
// transcript but not upload, download or read results.
func TestAttackCrossPartyTokens(t *testing.T) {
	t.Parallel()
	adv, partner := shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner)
	aud := shared.register(t, api.RoleAuditor)
	s := createSession(t, adv, partner, api.CreateSessionRequest{Auditors: []string{aud.name}})
	a := newSide(t, adv, s, rows("cross", 0, 1000))
	part := a.parts(t, 1000)[0]
	strangers := []*party{shared.register(t, api.RoleAdvertiser), shared.register(t, api.RoleMediaPartner), shared.register(t, api.RoleAuditor)}

	type route struct {
		method, path, contentType string
		body                      []byte
	}
	base := "/v1/sessions/" + s.ID
	join, _ := json.Marshal(api.JoinRequest{PolicyHash: s.PolicyHash})
	routes := []route{
		{http.MethodGet, base, "", nil},
		{http.MethodPost, base + "/join", "application/json", join},
		{http.MethodPut, base + "/blinded", api.PartContentType, part},
		{http.MethodGet, base + "/counterpart", "", nil},
		{http.MethodPut, base + "/reblinded", api.PartContentType, part},
		{http.MethodGet, base + "/results", "", nil},
		{http.MethodGet, base + "/transcript", "", nil},
		{http.MethodDelete, base, "", nil},
	}
	send := func(p *party, rt route) reply {
		return p.do(t, rt.method, rt.path, rt.contentType, bytes.NewReader(rt.body))
	}
	for _, stranger := range strangers {
		for _, rt := range routes {
			expectError(t, string(stranger.role)+" stranger: "+rt.method+" "+rt.path, send(stranger, rt), http.StatusNotFound, api.CodeNotFound)
		}
		var list api.SessionList
		stranger.expect(t, http.MethodGet, "/v1/sessions", nil, http.StatusOK, &list)
		if len(list.Sessions) != 0 {
			t.Fatalf("a stranger lists %d sessions", len(list.Sessions))
		}
	}

	r := partner.call(t, http.MethodPost, "/v1/sessions", api.CreateSessionRequest{Partner: partner.name, MatchKey: api.MatchKeyEmail})
	expectError(t, "partner creating a session", r, http.StatusForbidden, api.CodeForbidden)
	expectError(t, "advertiser joining its own session", send(adv, routes[1]), http.StatusForbidden, api.CodeForbidden)
	for i, rt := range routes {
		r := send(aud, rt)
		switch i {
		case 0, 6: // the session and its transcript
			if r.status != http.StatusOK {
				t.Fatalf("auditor %s %s: %d", rt.method, rt.path, r.status)
			}
		default:
			expectError(t, "auditor "+rt.method+" "+rt.path, r, http.StatusForbidden, api.CodeForbidden)
		}
	}
	if up := getSession(t, adv, s.ID).Uploads.Advertiser; up.BlindedParts != 0 {
		t.Fatal("a refused upload was stored")
	}
}
