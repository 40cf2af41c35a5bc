package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blindjoin/blindjoin/cleanroom/operator"
	"github.com/blindjoin/blindjoin/partner/client"
	"github.com/blindjoin/blindjoin/partner/console"
	"github.com/blindjoin/blindjoin/partner/csvin"
	"github.com/blindjoin/blindjoin/partner/flow"
	"github.com/blindjoin/blindjoin/partner/synth"
	"github.com/blindjoin/blindjoin/partner/wording"
	"github.com/blindjoin/blindjoin/protocol/api"
	"github.com/blindjoin/blindjoin/protocol/policy"
)

// The handler tests run the console on a real loopback listener against a
// real clean room (operator.Start, what blindjoind serve runs), as the
// advertiser "acme" proposing to "news".

type env struct {
	base  string // http://127.0.0.1:PORT
	url   string // the printed URL, token included
	token string
	http  *http.Client // no cookie yet, does not follow redirects

	acme, news *client.Client // the two parties' own connections
	work       string         // the console's work and input directory
	metrics    string         // the clean room's metrics address
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	roomDir := t.TempDir()
	room, err := operator.Start(ctx, operator.Config{DataDir: roomDir, Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { room.Stop() })
	key, err := operator.AddParty(ctx, roomDir, "acme", api.RoleAdvertiser)
	if err != nil {
		t.Fatal(err)
	}
	newsKey, err := operator.AddParty(ctx, roomDir, "news", api.RoleMediaPartner)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{BaseURL: room.URL, APIKey: client.Secret(key)})
	if err != nil {
		t.Fatal(err)
	}
	news, err := client.New(client.Config{BaseURL: room.URL, APIKey: client.Secret(newsKey)})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{acme: c, news: news, work: t.TempDir(), metrics: room.MetricsAddr}
	e.serve(t)
	return e
}

// serve starts a console for acme on e.work, as `blindjoin console --dir
// e.work` does, and points e at it.
func (e *env) serve(t *testing.T) {
	t.Helper()
	srv, err := console.New(console.Config{Client: e.acme, WorkDir: e.work, InputDir: e.work, KeyDir: filepath.Join(e.work, "keys")})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := console.Listen("127.0.0.1:0", false)
	if err != nil {
		t.Fatal(err)
	}
	e.base, e.url = "http://"+ln.Addr().String(), srv.URL(ln.Addr())
	e.token = strings.TrimPrefix(e.url, e.base+"/?token=")
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("console shutdown: %v", err)
		}
	})
	e.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// browser returns a client holding the console's cookie, as a browser
// does after opening the printed URL.
func (e *env) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Jar: jar}
	resp, err := b.Get(e.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("opening the printed URL: %d", resp.StatusCode)
	}
	return b
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestURLPrintedIsLoopbackWithToken(t *testing.T) {
	e := newEnv(t)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]{43}$`).MatchString(e.url) {
		t.Errorf("URL %q: want http://127.0.0.1:PORT/?token=43 base64url characters", e.url)
	}
}

func TestTokenIsRequiredOnEveryRequest(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/new", "/static/console.css", "/static/console.js", "/sessions/0123456789abcdef0123456789abcdef"} {
		if resp, body := get(t, e.http, e.base+path); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "acme") {
			t.Errorf("GET %s without the token: %d, want 403 and nothing about the party", path, resp.StatusCode)
		}
	}
	wrong := strings.Repeat("A", len(e.token))
	if resp, _ := get(t, e.http, e.base+"/?token="+wrong); resp.StatusCode != http.StatusForbidden || len(resp.Cookies()) != 0 {
		t.Errorf("a wrong token: %d with %d cookies, want 403 and none", resp.StatusCode, len(resp.Cookies()))
	}
	req, _ := http.NewRequest("GET", e.base+"/", nil)
	req.AddCookie(&http.Cookie{Name: "blindjoin_console", Value: wrong})
	if resp, err := e.http.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a wrong cookie: %v %v, want 403", resp.StatusCode, err)
	}

	resp, _ := get(t, e.http, e.url)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("the printed URL: %d to %q, want 303 to / (the token leaves the address bar)", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("%d cookies, want 1", len(cookies))
	}
	ck := cookies[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP", ck)
	}
	req, _ = http.NewRequest("GET", e.base+"/static/console.css", nil)
	req.AddCookie(ck)
	if resp, err := e.http.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("a static file with the cookie: %v %v, want 200", resp.StatusCode, err)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for _, tc := range []struct {
		c    *http.Client
		path string
		want int
	}{
		{e.http, "/", http.StatusForbidden},
		{b, "/", http.StatusOK},
		{b, "/new", http.StatusOK},
		{b, "/static/console.js", http.StatusOK},
		{b, "/sessions/not-an-id", http.StatusNotFound},
	} {
		resp, _ := get(t, tc.c, e.base+tc.path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if resp.StatusCode != tc.want || !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "default-src 'none'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("GET %s: %d, headers %v", tc.path, resp.StatusCode, h)
		}
	}
}

func TestUnknownHostRefused(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	// A DNS-rebinding page reaches the port under its own name.
	req, _ := http.NewRequest("GET", e.base+"/", nil)
	req.Host = "attacker.example"
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("Host attacker.example: %d, want 421", resp.StatusCode)
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

func TestCSRFOnEveryStateChange(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	_, page := get(t, b, e.base+"/new")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF field on the propose form")
	}
	form := url.Values{"partner": {"news"}, "match_key": {"email"}, "min_rows": {"1000"}, "k": {"50"},
		"count_purposes": {"7,9"}, "activation_purposes": {"1,3,4"}, "rate_granularity": {"percent"}, "retention_days": {"30"}}
	post := func(path, csrf string, hdr map[string]string) int {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if csrf != "" {
			f.Set("csrf", csrf)
		}
		req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		noRedirect := *b
		noRedirect.CheckRedirect = e.http.CheckRedirect
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	sessionPaths := []string{"/new", "/sessions/0123456789abcdef0123456789abcdef/join", "/sessions/0123456789abcdef0123456789abcdef/run"}
	for _, path := range sessionPaths {
		for name, tc := range map[string]struct {
			csrf string
			hdr  map[string]string
		}{
			"no token":         {"", nil},
			"wrong token":      {strings.Repeat("0", 64), nil},
			"foreign origin":   {m[1], map[string]string{"Origin": "http://attacker.example"}},
			"cross-site fetch": {m[1], map[string]string{"Sec-Fetch-Site": "cross-site"}},
		} {
			if got := post(path, tc.csrf, tc.hdr); got != http.StatusForbidden {
				t.Errorf("POST %s with %s: %d, want 403", path, name, got)
			}
		}
	}
	if got := post("/new", m[1], map[string]string{"Origin": e.base, "Sec-Fetch-Site": "same-origin"}); got != http.StatusSeeOther {
		t.Errorf("POST /new from the page: %d, want 303 to the new session", got)
	}
}

func TestHostileSessionNameEscaped(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	_, page := get(t, b, e.base+"/new")
	csrf := csrfField.FindStringSubmatch(page)[1]
	hostile := `<script>alert(1)</script><img src=x onerror=alert(2)>"'`
	resp, err := b.PostForm(e.base+"/new", url.Values{"csrf": {csrf}, "label": {hostile}, "partner": {"news"}, "match_key": {"email"},
		"min_rows": {"1000"}, "k": {"50"}, "count_purposes": {"7,9"}, "activation_purposes": {"1,3,4"}, "rate_granularity": {"percent"}, "retention_days": {"30"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sessionURL := resp.Request.URL.String()
	if resp.StatusCode != http.StatusOK || !strings.Contains(sessionURL, "/sessions/") {
		t.Fatalf("creating: %d at %s", resp.StatusCode, sessionURL)
	}
	_, list := get(t, b, e.base+"/")
	for where, html := range map[string]string{"session page": string(body), "sessions list": list} {
		if strings.Contains(html, "<script>alert") || strings.Contains(html, "<img src=x") {
			t.Errorf("%s holds the name unescaped", where)
		}
		if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;") {
			t.Errorf("%s does not show the name escaped", where)
		}
	}
}

func TestSessionIDMustBeAnID(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for _, id := range []string{"..%2F..%2Fetc", "0123456789ABCDEF0123456789ABCDEF", "0123", "0123456789abcdef0123456789abcdef0"} {
		if resp, _ := get(t, b, e.base+"/sessions/"+id+"/activation.csv"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("session %q: %d, want 404", id, resp.StatusCode)
		}
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:0", false, true},
		{"localhost:0", false, true},
		{"127.0.0.2:0", false, true},
		{"0.0.0.0:0", false, false},
		{":0", false, false},
		{"192.0.2.1:0", false, false},
		{"example.com:0", false, false},
		{"0.0.0.0:0", true, true},
	} {
		ln, err := console.Listen(tc.addr, tc.remote)
		if ln != nil {
			ln.Close()
		}
		switch {
		case tc.ok && err != nil:
			t.Errorf("Listen(%q, %v): %v", tc.addr, tc.remote, err)
		case !tc.ok && !errors.Is(err, console.ErrNotLoopback):
			t.Errorf("Listen(%q, %v): %v, want ErrNotLoopback", tc.addr, tc.remote, err)
		}
	}
}

func TestInputOnlyFromTheInputDirectory(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	_, page := get(t, b, e.base+"/new")
	csrf := csrfField.FindStringSubmatch(page)[1]
	resp, err := b.PostForm(e.base+"/new", url.Values{"csrf": {csrf}, "partner": {"news"}, "match_key": {"email"},
		"min_rows": {"1000"}, "k": {"50"}, "count_purposes": {"7,9"}, "activation_purposes": {"1,3,4"}, "rate_granularity": {"percent"}, "retention_days": {"30"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, name := range []string{"/etc/passwd", "../../../../etc/passwd", "..", "sub/../../x.csv"} {
		_, body := get(t, b, resp.Request.URL.String()+"?file="+url.QueryEscape(name))
		if strings.Contains(body, "root:") || !strings.Contains(body, "not a file name of the input directory") {
			t.Errorf("file %q: the preview read outside the input directory or did not say why not", name)
		}
	}
}

// sessionData writes a small synthetic dataset: the advertiser's file in
// the console's input directory, the partner's elsewhere.
func (e *env) sessionData(t *testing.T, segments ...string) (data *synth.Dataset, advIn, pubIn string) {
	t.Helper()
	data, err := synth.New(synth.Config{Seed: 3, AdvertiserRows: 1500, PartnerRows: 2500, OverlapFraction: 0.5, MatchKey: "email", Segments: segments})
	if err != nil {
		t.Fatal(err)
	}
	advIn, pubIn = filepath.Join(e.work, "crm.csv"), filepath.Join(t.TempDir(), "audience.csv")
	for path, write := range map[string]func(io.Writer) error{advIn: data.WriteAdvertiserCSV, pubIn: data.WritePartnerCSV} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(write(f), f.Close()); err != nil {
			t.Fatal(err)
		}
	}
	return data, advIn, pubIn
}

// runFlow runs one party's side as `blindjoin match` does.
func runFlow(t *testing.T, c *client.Client, id, in, out string, cols csvin.Columns) error {
	_, err := flow.Run(context.Background(), flow.Options{Client: c, SessionID: id, Input: in, Columns: cols, OutDir: out,
		KeyDir: t.TempDir(), PollInterval: 50 * time.Millisecond, MaxPollInterval: 100 * time.Millisecond})
	return err
}

// computed runs a session that acme proposes with req through the flows,
// as two `blindjoin match` would, the advertiser's outputs in
// advOut(session id), and returns it.
func (e *env) computed(t *testing.T, req api.CreateSessionRequest, data *synth.Dataset, advIn, pubIn string, advOut func(id string) string) api.Session {
	t.Helper()
	ctx := context.Background()
	s, err := e.acme.CreateSession(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.news.Join(ctx, s.ID, s.PolicyHash); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = runFlow(t, e.acme, s.ID, advIn, advOut(s.ID), data.AdvertiserColumns()) })
	wg.Go(func() { errs[1] = runFlow(t, e.news, s.ID, pubIn, t.TempDir(), data.PartnerColumns()) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestResultsWithNoise runs a session with differential privacy through
// the flows (as two `blindjoin match` would, the advertiser's outputs in
// the console's directory) and reads the advertiser's session page: the
// noise is stated, and no suppressed count is written as a number.
func TestResultsWithNoise(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// The noise depends on the room's random secret. Five segments hold
	// 16 to 35 matched people against k = 50: with epsilon 1 split over
	// ten counts (scale 10), all five reach 50 in about one run in ten
	// million, so at least one is suppressed; with two segments near 40,
	// as the test had, none was in about one run in fifty.
	segments := []string{"loyal", "rare_a", "rare_b", "rare_c", "rare_d", "rare_e", "rare_f", "rare_g", "rare_h"}
	data, advIn, pubIn := e.sessionData(t, segments...)
	pol := policy.Default()
	pol.DP = &policy.DP{Epsilon: 1}
	s := e.computed(t, api.CreateSessionRequest{Partner: "news", MatchKey: "email", Policy: pol.Canonical(), Segments: segments},
		data, advIn, pubIn, func(id string) string { return filepath.Join(e.work, id) })
	res, _, err := e.acme.Results(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, page := get(t, e.browser(t), e.base+"/sessions/"+s.ID)
	if !strings.Contains(page, "Differential-privacy noise is on (epsilon 1)") {
		t.Error("the page does not state the noise")
	}
	if !strings.Contains(page, `<strong id="overlap">`+wording.Released(res.Overlap, pol.K)+`</strong>`) {
		t.Errorf("the overlap is not shown as released (%s)", wording.Released(res.Overlap, pol.K))
	}
	suppressed := 0
	for name, n := range res.Segments {
		bar := regexp.MustCompile(`<text x="0" y="[0-9.]+">` + name + `</text>\s*(?:<rect[^>]*/>)?\s*<text[^>]*class="value">([^<]*)</text>`).FindStringSubmatch(page)
		switch {
		case bar == nil:
			t.Errorf("segment %s has no bar", name)
		case n == nil && bar[1] != "&lt; 50":
			t.Errorf("suppressed segment %s reads %q, want < 50", name, bar[1])
		case n != nil && bar[1] != wording.Thousands(*n):
			t.Errorf("segment %s reads %q, released %d", name, bar[1], *n)
		}
		if n == nil {
			suppressed++
		}
	}
	if suppressed == 0 {
		t.Error("the test data suppress no segment: the case is not exercised")
	}
	// The commitment is checked on results.json when this console's
	// directory has it, and on the results downloaded again when not.
	const opened = "your results are those the transcript"
	if !strings.Contains(page, opened) {
		t.Error("the page does not say the results open their commitment")
	}
	if err := os.Remove(filepath.Join(e.work, s.ID, "results.json")); err != nil {
		t.Fatal(err)
	}
	if _, page = get(t, e.browser(t), e.base+"/sessions/"+s.ID); !strings.Contains(page, opened) {
		t.Error("without results.json, the page does not say the results open their commitment")
	}
}

// resultsServed counts the results downloads the clean room has served,
// from its request metrics.
func (e *env) resultsServed(t *testing.T) int {
	t.Helper()
	_, body := get(t, http.DefaultClient, "http://"+e.metrics+"/metrics")
	n := 0
	for _, m := range regexp.MustCompile(`(?m)^blindjoin_http_requests_total\{method="GET",route="/v1/sessions/:id/results",status="[0-9]+"\} ([0-9]+)$`).FindAllStringSubmatch(body, -1) {
		c, err := strconv.Atoi(m[1])
		if err != nil {
			t.Fatal(err)
		}
		n += c
	}
	return n
}

// TestResultsDownloadedOnce: a computed session's results never change,
// so the results page and its comparison download each session's
// results once, into the session's results.json (the bytes a run writes
// there), and a second view, or a console started again on the same
// directory, downloads none.
func TestResultsDownloadedOnce(t *testing.T) {
	e := newEnv(t)
	data, advIn, pubIn := e.sessionData(t, "loyal")
	elsewhere := map[string]string{} // the advertiser's outputs, by session: run outside the console
	var sessions []api.Session
	for range 3 {
		sessions = append(sessions, e.computed(t, api.CreateSessionRequest{Partner: "news", MatchKey: "email", Segments: []string{"loyal"}},
			data, advIn, pubIn, func(id string) string { elsewhere[id] = t.TempDir(); return elsewhere[id] }))
	}
	last := sessions[len(sessions)-1]
	before := e.resultsServed(t)
	b := e.browser(t)
	var pages []string
	for range 2 {
		_, page := get(t, b, e.base+"/sessions/"+last.ID)
		pages = append(pages, page)
	}
	if got := e.resultsServed(t) - before; got != len(sessions) {
		t.Errorf("two views of a page comparing %d sessions downloaded results %d times, want once each", len(sessions), got)
	}
	if pages[0] != pages[1] {
		t.Error("the second view of the results page differs from the first")
	}
	const opened = "your results are those the transcript"
	compared := regexp.MustCompile(`(?s)<table class="list" id="compare">.*?</table>`).FindString(pages[0])
	for _, s := range sessions {
		if !strings.Contains(compared, `href="/sessions/`+s.ID+`"`) {
			t.Errorf("session %s is not in the comparison", s.ID[:6])
		}
		kept, err := os.ReadFile(filepath.Join(e.work, s.ID, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		ran, err := os.ReadFile(filepath.Join(elsewhere[s.ID], "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if string(kept) != string(ran) {
			t.Errorf("session %s: the console's results.json is not the one a run writes", s.ID[:6])
		}
	}
	if !strings.Contains(pages[0], opened) {
		t.Error("the page does not say the results open their commitment")
	}
	// Started again on the same directory, the console reads results.json.
	before = e.resultsServed(t)
	e.serve(t)
	if _, page := get(t, e.browser(t), e.base+"/sessions/"+sessions[0].ID); !strings.Contains(page, opened) || !strings.Contains(page, `href="/sessions/`+last.ID+`"`) {
		t.Error("a console started again does not show the results, their check and the comparison")
	}
	if got := e.resultsServed(t) - before; got != 0 {
		t.Errorf("a console started again on the same directory downloaded results %d times, want none", got)
	}
}

// TestResultsCheckFailuresShown: results.json that does not open the
// transcript's commitment, or does not read, is said so on the page,
// which still shows the released figures, by a console that read them
// already and by one started again on the same directory.
func TestResultsCheckFailuresShown(t *testing.T) {
	e := newEnv(t)
	data, advIn, pubIn := e.sessionData(t)
	s := e.computed(t, api.CreateSessionRequest{Partner: "news", MatchKey: "email"}, data, advIn, pubIn, func(id string) string { return filepath.Join(e.work, id) })
	res, _, err := e.acme.Results(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	overlap := `<strong id="overlap">` + wording.Released(res.Overlap, policy.Default().K) + `</strong>`
	path := filepath.Join(e.work, s.ID, "results.json")
	if _, page := get(t, e.browser(t), e.base+"/sessions/"+s.ID); !strings.Contains(page, "your results are those the transcript") || !strings.Contains(page, overlap) {
		t.Fatal("the untouched results do not show, or do not open their commitment")
	}
	kept, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nonce := regexp.MustCompile(`"result_nonce":"([0-9a-f])`).FindSubmatchIndex(kept)
	if nonce == nil {
		t.Fatal("results.json has no result_nonce")
	}
	other := slices.Clone(kept)
	other[nonce[2]] = '0'
	if kept[nonce[2]] == '0' {
		other[nonce[2]] = '1'
	}
	// Results edited to another overlap still read; a console started
	// again must not take its figures from them.
	edited := regexp.MustCompile(`"overlap":[0-9]+`).ReplaceAll(kept, []byte(`"overlap":`+fmt.Sprint(*res.Overlap+1000)))
	if bytes.Equal(edited, kept) {
		t.Fatal("results.json has no overlap to edit")
	}
	for _, tc := range []struct {
		name, content, want string
	}{
		{"another nonce", string(other), "your results are NOT those the transcript commits to"},
		{"another overlap", string(edited), "your results are NOT those the transcript commits to"},
		{"not results", "{\"session_id\": 3}\n", "your results could not be checked against the transcript"},
	} {
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, restart := range []bool{false, true} {
			if restart {
				e.serve(t)
			}
			if _, page := get(t, e.browser(t), e.base+"/sessions/"+s.ID); !strings.Contains(page, tc.want) || !strings.Contains(page, overlap) {
				t.Errorf("%s (console started again: %v): the page does not say %q beside the released overlap", tc.name, restart, tc.want)
			}
		}
	}
}

// TestRunFromTheConsole starts the advertiser's side with the console's
// run form and follows it through the progress answers the page's script
// reads, while the partner runs its side as `blindjoin match`.
func TestRunFromTheConsole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	data, _, pubIn := e.sessionData(t, "loyal")
	s, err := e.acme.CreateSession(ctx, api.CreateSessionRequest{Partner: "news", MatchKey: "email", Segments: []string{"loyal"}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	cols := data.AdvertiserColumns()
	// The run form comes with the preflight.
	_, page := get(t, b, e.base+"/sessions/"+s.ID+"?"+url.Values{"file": {"crm.csv"}, "id_column": {cols.ID},
		"consent_column": {cols.Consent}, "segments_column": {cols.Segments}}.Encode())
	m := csrfField.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `id="run-button"`) {
		t.Fatal("no run form after the preflight")
	}
	csrf := m[1]
	resp, err := b.PostForm(e.base+"/sessions/"+s.ID+"/run", url.Values{"csrf": {csrf}, "file": {"crm.csv"},
		"id_column": {cols.ID}, "consent_column": {cols.Consent}, "segments_column": {cols.Segments}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	progress := func() console.Status {
		_, body := get(t, b, e.base+"/sessions/"+s.ID+"/progress")
		var st console.Status
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("progress: %v in %q", err, body)
		}
		return st
	}
	// The partner has not accepted: the run reads its file, then waits.
	deadline := time.Now().Add(20 * time.Second)
	for st := progress(); !strings.Contains(st.Phase, "waiting for news to accept"); st = progress() {
		if !st.Running || time.Now().After(deadline) {
			t.Fatalf("progress %+v, want the run waiting for news", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := e.news.Join(ctx, s.ID, s.PolicyHash); err != nil {
		t.Fatal(err)
	}
	if err := runFlow(t, e.news, s.ID, pubIn, t.TempDir(), data.PartnerColumns()); err != nil {
		t.Fatal(err)
	}
	st := progress()
	for ; st.Running && time.Now().Before(deadline); st = progress() {
		time.Sleep(20 * time.Millisecond)
	}
	if st.Running || st.Outcome != "done" || st.Error != "" {
		t.Fatalf("progress %+v, want done", st)
	}
	res, _, err := e.acme.Results(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, page = get(t, b, e.base+"/sessions/"+s.ID)
	if !strings.Contains(page, `<strong id="overlap">`+wording.Released(res.Overlap, 50)+`</strong>`) || !strings.Contains(page, `id="rows"`) {
		t.Error("the session page shows neither the released overlap nor the run's rows")
	}
}
