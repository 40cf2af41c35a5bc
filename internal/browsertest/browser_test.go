package browsertest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/blindjoin/blindjoin/partner/demo"
	"github.com/blindjoin/blindjoin/partner/wording"
)

// newBrowser starts headless Chromium as root can run it in CI, with a
// fresh profile and no background traffic.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if testing.Short() {
		// .ci/run runs it once without -short; under the race detector a
		// whole session takes a minute or more of CI's two cores.
		t.Skip("browser tests skipped in -short mode")
	}
	path := os.Getenv(chromiumEnv)
	if path == "" {
		t.Skipf("browser tests skipped: set %s to a Chromium binary (e.g. %s=/usr/bin/chromium; .ci/run does)", chromiumEnv, chromiumEnv)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // a container's small /dev/shm crashes tabs
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return browser
}

// person is one browser context (its own cookies): a person at a desk.
type person struct {
	t    *testing.T
	ctx  context.Context
	name string
	w    *world
}

func (w *world) person(t *testing.T, browser context.Context, name string) *person {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first action runs on the context NewContext returned: it
	// creates the tab, which lives as long as that context (a derived
	// context with a deadline would close it).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("%s: opening a tab: %v", name, err)
	}
	return &person{t: t, ctx: ctx, name: name, w: w}
}

func (p *person) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v; the page at %s", p.name, err, p.page())
	}
}

// page describes the current page for a failure message.
func (p *person) page() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + " reads: " + document.body.innerText.slice(0, 600)`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// text is the rendered text of the first element sel matches, read in the
// page (a DOM node id could go stale across the page's own reloads).
func (p *person) text(sel string) string {
	p.t.Helper()
	js := `(() => { const e = document.querySelector(` + strconv.Quote(sel) + `); return e ? (e.innerText ?? e.textContent).trim() : "\x00" })()`
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		cancel()
		if err == nil && s != "\x00" {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("%s: no %s; the page at %s", p.name, sel, p.page())
	return ""
}

// set fills form fields, given as selector and value pairs, as typing or
// choosing would (the value property, as chromedp.SetValue sets it, but
// looked up in the page rather than through DOM node ids that a reload
// may have made stale).
func (p *person) set(pairs ...string) {
	p.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		js := `(() => { const e = document.querySelector(` + strconv.Quote(pairs[i]) + `); if (!e) return false; e.value = ` +
			strconv.Quote(pairs[i+1]) + `; return e.value === ` + strconv.Quote(pairs[i+1]) + ` })()`
		if !eval[bool](p, js) {
			p.t.Fatalf("%s: cannot set %s to %q; the page at %s", p.name, pairs[i], pairs[i+1], p.page())
		}
	}
}

// follow clicks sel, a link or a submit button, as a person would (a
// mouse click), and waits for the next page to hold next. The click's own
// answer may be that the page navigated away under it: that is the point.
func (p *person) follow(sel chromedp.CSS, next string) {
	p.t.Helper()
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
		err := chromedp.Do(ctx, chromedp.Click(sel))
		cancel()
		switch {
		case err == nil || strings.Contains(err.Error(), "navigated or closed"):
			p.ready(next)
			return
		case strings.Contains(err.Error(), "No node with given id") && attempt < 5:
			// chromedp's copy of the DOM lagged behind the page's last
			// load: look the button up again.
			time.Sleep(200 * time.Millisecond)
		default:
			p.t.Fatalf("%s: clicking %s: %v; the page at %s", p.name, sel, err, p.page())
		}
	}
}

// ready waits until the page has loaded and holds sel: after a click
// that submits a form, the next page.
func (p *person) ready(sel string) {
	p.t.Helper()
	p.waitFor(`document.readyState === "complete" && document.querySelector(`+strconv.Quote(sel)+`) !== null`, 60*time.Second)
}

func eval[T any](p *person, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, js, err)
	}
	return v
}

// waitFor polls a JavaScript condition, through the page's own reloads
// (a finished run reloads the session page).
func (p *person) waitFor(js string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatalf("%s: waited %s for %s; the page at %s", p.name, within, js, p.page())
}

// shot writes a screenshot of the viewport as name.png.
func (p *person) shot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	if err := os.WriteFile(filepath.Join(p.w.shots, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// fullShot writes a screenshot of the whole page.
func (p *person) fullShot(name string) {
	p.t.Helper()
	h := eval[float64](p, `document.documentElement.scrollHeight`)
	p.do(chromedp.EmulateViewport(1280, int64(h)))
	p.shot(name)
	p.do(chromedp.EmulateViewport(1280, 800))
}

// TestWholeSessionInTwoConsoles is the browser test: an advertiser
// and a media partner each click through their own console against a
// real clean room, and read the exact figures of the plaintext truth.
func TestWholeSessionInTwoConsoles(t *testing.T) {
	browser := newBrowser(t)
	w := newWorld(t)
	start := time.Now()
	k := w.pol.K
	var suppressed, released []string
	for _, name := range w.truth.Segments {
		if int64(w.truth.SegmentOverlap[name]) < k {
			suppressed = append(suppressed, name)
		} else {
			released = append(released, name)
		}
	}
	if len(suppressed) == 0 || len(released) == 0 || int64(w.truth.Overlap) < k {
		t.Fatalf("the dataset must release the overlap and some segments and suppress others: %v", w.truth.SegmentOverlap)
	}
	w.earlierSession(t)

	adv := w.person(t, browser, "advertiser")
	pub := w.person(t, browser, "media partner")

	// The advertiser opens its console and proposes a session.
	adv.do(chromedp.Navigate(w.advURL))
	adv.ready("table.list")
	if loc := eval[string](adv, `location.href`); strings.Contains(loc, "token=") {
		t.Errorf("the token stays in the address bar: %s", loc)
	}
	adv.shot("sessions")
	label := "Spring launch <b>×</b> news"
	adv.follow(`a.button[href="/new"]`, "#propose")
	adv.set(`input[name=label]`, label, `input[name=partner]`, "news",
		`select[name=segments_file]`, "crm.csv", `input[name=auditors]`, "audit-firm")
	adv.shot("propose")
	adv.follow("#propose", "#policy")
	if h1 := adv.text("h1"); h1 != label {
		t.Errorf("the session's name reads %q, want %q as text", h1, label)
	}
	id := regexp.MustCompile(`/sessions/([0-9a-f]{32})$`).FindStringSubmatch(eval[string](adv, `location.pathname`))
	if id == nil {
		t.Fatal("the new session's page URL holds no session id")
	}
	sessionID := id[1]

	// It picks its file and columns, reads the preflight and runs.
	cols := w.data.AdvertiserColumns()
	adv.set("#file", "crm.csv")
	adv.follow("#check", "#id-column")
	adv.set("#id-column", cols.ID, "#consent-column", cols.Consent, "#segments-column", cols.Segments)
	adv.follow("#check", "#preflight")
	if got, want := adv.text("#pre-upload"), wording.Thousands(int64(w.truth.Advertiser.Counted)); got != want {
		t.Errorf("preflight: %s rows would be uploaded, truth %s", got, want)
	}
	adv.fullShot("preflight")
	adv.follow("#run-button", "#progress")
	adv.waitFor(`(document.getElementById("phase")||{}).textContent.includes("waiting for news to accept")`, 30*time.Second)
	adv.shot("waiting")

	// The media partner sees the proposal, reads the policy, accepts it.
	pub.do(chromedp.Navigate(w.pubURL))
	pub.ready("table.list")
	if !strings.Contains(pub.text("section.card"), "Proposals addressed to you") {
		t.Error("the partner's console lists no proposal")
	}
	pub.follow(chromedp.CSS(`section.card a[href="/sessions/`+sessionID+`"]`), "#accept")
	if strings.Contains(pub.text("h1"), "Spring") {
		t.Error("the advertiser's local session name reached the partner")
	}
	hash := pub.text("#policy-hash")
	if hash != w.pol.Hash() {
		t.Errorf("policy hash shown %s, want %s", hash, w.pol.Hash())
	}
	if p := pub.text("#policy"); !strings.Contains(p, "any released count below it is suppressed") || !strings.Contains(p, "default") {
		t.Error("the policy is not in plain words with its defaults marked")
	}
	pub.fullShot("accept")
	pub.do(chromedp.Click(chromedp.ID("accept-box")))
	pub.follow("#accept", "#file")
	pcols := w.data.PartnerColumns()
	pub.set("#file", "audience.csv")
	pub.follow("#check", "#id-column")
	pub.set("#id-column", pcols.ID, "#consent-column", pcols.Consent)
	pub.follow("#check", "#preflight")
	if got, want := pub.text("#pre-upload"), wording.Thousands(int64(w.truth.Partner.Counted)); got != want {
		t.Errorf("partner preflight: %s rows would be uploaded, truth %s", got, want)
	}
	pub.follow("#run-button", "#progress")

	// Both pages turn into results by themselves.
	for _, p := range []*person{adv, pub} {
		p.waitFor(`document.getElementById("overlap") !== null`, 90*time.Second)
	}
	overlap := int64(w.truth.Overlap)
	for _, tc := range []struct {
		p       *person
		counted int
	}{{adv, w.truth.Advertiser.Counted}, {pub, w.truth.Partner.Counted}} {
		if got := tc.p.text("#overlap"); got != wording.Thousands(overlap) {
			t.Errorf("%s: overlap %q, truth %s", tc.p.name, got, wording.Thousands(overlap))
		}
		if got, want := tc.p.text("#match-rate"), w.pol.FormatRate(overlap, int64(tc.counted))+" of your rows that counted"; got != want {
			t.Errorf("%s: match rate %q, want %q", tc.p.name, got, want)
		}
		if got := tc.p.text("#transcript"); !strings.Contains(got, "chain and signature verified") || !strings.Contains(got, "your results are those the transcript") {
			t.Errorf("%s: transcript status %q", tc.p.name, got)
		}
		if svg := eval[string](tc.p, `document.querySelector("svg.venn").textContent`); !strings.Contains(svg, "overlap "+wording.Thousands(overlap)) {
			t.Errorf("%s: the overlap diagram says %q", tc.p.name, svg)
		}
	}
	bars := eval[[][]string](adv, `Array.from(document.querySelectorAll("#segments g")).map(g => Array.from(g.querySelectorAll("text")).map(x => x.textContent))`)
	seen := map[string]string{}
	for _, b := range bars {
		if len(b) == 2 {
			seen[b[0]] = b[1]
		}
	}
	for _, name := range suppressed {
		if seen[name] != "< 50" {
			t.Errorf("suppressed segment %s drawn as %q, want \"< 50\"", name, seen[name])
		}
	}
	for _, name := range released {
		if want := wording.Thousands(int64(w.truth.SegmentOverlap[name])); seen[name] != want {
			t.Errorf("segment %s drawn as %q, truth %s", name, seen[name], want)
		}
	}
	if rows := eval[int](adv, `document.querySelectorAll("#compare tbody tr").length`); rows != 2 {
		t.Errorf("the pair comparison has %d sessions, want 2", rows)
	}
	adv.fullShot("results-advertiser")
	pdf, err := chromedp.Run(adv.ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		t.Fatal(err)
	}
	if pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)); pages != 1 {
		t.Errorf("the printed report has %d pages, want 1", pages)
	}
	os.WriteFile(filepath.Join(w.shots, "report.pdf"), pdf, 0o644)

	// The partner downloads its activation file: the truth's released rows.
	csv := eval[string](pub, `fetch("/sessions/`+sessionID+`/activation.csv").then(r => r.text())`)
	if lines := strings.Count(csv, "\n"); lines != 1+len(w.truth.Released(int(k))) {
		t.Errorf("activation.csv has %d lines, want %d", lines, 1+len(w.truth.Released(int(k))))
	}
	// The session's segments came from the file, sorted: activation.csv
	// lists a row's segments in that order.
	want := w.truth.Released(int(k))
	for i := range want {
		want[i].Segments = slices.Sorted(slices.Values(want[i].Segments))
	}
	if _, err := demo.CompareActivation(filepath.Join(w.pubDir, "console", sessionID, "activation.csv"), want); err != nil {
		t.Errorf("activation.csv: %v", err)
	}
	pub.fullShot("results-partner")
	pub.do(chromedp.EmulateViewport(390, 844))
	if over := eval[bool](pub, `document.documentElement.scrollWidth > window.innerWidth`); over {
		t.Error("the results page overflows a narrow window")
	}
	pub.shot("results-narrow")
	pub.do(chromedp.EmulateViewport(1280, 800))

	w.auditor(t, browser, sessionID)
	w.operator(t, browser, sessionID)
	t.Logf("browser test took %s", time.Since(start).Round(time.Second))
}

// auditor verifies the transcript in the browser, then a tampered copy
// and a wrong key.
func (w *world) auditor(t *testing.T, browser context.Context, sessionID string) {
	a := w.person(t, browser, "auditor")
	a.do(chromedp.Navigate(w.room.URL + "/console/audit"))
	a.ready("#verify")
	if key := eval[string](a, `document.getElementById("key").value`); key != hex.EncodeToString(w.room.TranscriptKey) {
		t.Errorf("pre-filled key %s", key)
	}
	a.set("#session-id", sessionID, "#api-key", w.audKey)
	a.do(chromedp.Click(chromedp.ID("fetch")))
	a.waitFor(`document.getElementById("transcript").value.length > 0`, 20*time.Second)
	original := eval[string](a, `document.getElementById("transcript").value`)
	verify := func() string {
		a.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("verdict").className = "pending"`), chromedp.Click(chromedp.ID("verify")))
		a.waitFor(`document.getElementById("verdict").className !== "pending"`, 20*time.Second)
		return a.text("#verdict")
	}
	if v := verify(); !strings.HasPrefix(v, "Verified:") {
		t.Errorf("the genuine transcript: %q", v)
	}
	if n := eval[int](a, `document.querySelectorAll("#timeline li").length`); n < 6 {
		t.Errorf("timeline of %d events", n)
	}
	a.fullShot("audit-verified")
	a.do(chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.getElementById("transcript"); const t = JSON.parse(ta.value);
		const e = t.events.find(e => e.type === "part_uploaded"); e.data.records = String(Number(e.data.records) - 1);
		ta.value = JSON.stringify(t); })()`))
	if v := verify(); !strings.Contains(v, "NOT verified") || !strings.Contains(v, "TAMPERED") {
		t.Errorf("a tampered transcript: %q", v)
	}
	a.shot("audit-tampered")
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	a.set("#transcript", original, "#key", hex.EncodeToString(other))
	if v := verify(); !strings.Contains(v, "signature does not verify") {
		t.Errorf("another key: %q", v)
	}
	// What transcript.ParseTranscript refuses, the page refuses too.
	a.set("#key", hex.EncodeToString(w.room.TranscriptKey))
	a.do(chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.getElementById("transcript"); const t = JSON.parse(ta.value);
		t.events[0].type = "Session_Created"; ta.value = JSON.stringify(t); })()`))
	if v := verify(); !strings.Contains(v, "NOT verified: event 1: the type must be") {
		t.Errorf("an event type outside [a-z0-9_]: %q", v)
	}
}

// operator logs in, sees the session and registers a party whose key
// then works.
func (w *world) operator(t *testing.T, browser context.Context, sessionID string) {
	o := w.person(t, browser, "operator")
	o.do(chromedp.Navigate(w.room.URL + "/console/"))
	o.ready("#login")
	o.set(`input[name=name]`, "ops", `input[name=credential]`, w.operatorCred)
	o.follow("#login", "#register")
	if s := o.text("#sessions"); !strings.Contains(s, sessionID[:8]) || !strings.Contains(s, "computed") {
		t.Error("the dashboard does not list the session as computed")
	}
	o.set("#party-name", "tv-network", "#party-role", "media_partner")
	o.follow("#register-button", "#api-key")
	key := o.text("#api-key")
	resp, err := http.Post(w.room.URL+"/v1/auth/token", "application/json", strings.NewReader(`{"api_key":"`+key+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the key shown for tv-network does not authenticate: %d", resp.StatusCode)
	}
	if !strings.Contains(o.text("#parties"), "tv-network") {
		t.Error("the new party is not listed")
	}
	o.fullShot("operator")
}
