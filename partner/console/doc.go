// Package console is the party's web console: what `blindjoin console`
// serves on the party's own machine, so that an advertiser or a media
// partner can propose, accept and run sessions and read their results in
// a browser instead of a terminal.
//
// # Why it runs on the party's machine
//
// Identifiers never leave the party. The console reads the party's files
// from its disk, runs the same flow as `blindjoin match` (partner/flow:
// Preflight, then Run) with the party's credentials, and shows only what
// the clean room releases to that party. The API key stays in this
// process: pages and scripts never see it, and no page carries an
// identifier other than the preview of the party's own file, shown to the
// party on its own machine.
//
// # Security model (SECURITY.md, "The web consoles")
//
//   - Listen refuses a non-loopback address unless the caller allows it
//     explicitly: any local web page or process could otherwise reach it.
//   - A random 256-bit token, drawn at start, is in the URL that
//     `blindjoin console` prints (as Jupyter does). The first request
//     carrying it gets it back as a cookie (HttpOnly; SameSite=Strict;
//     Secure over TLS) and is redirected to the same page without it, so
//     it leaves the address bar and the history; every request, static
//     files included, needs the cookie. Without it: 403.
//   - The Host header must name the address the console listens on, so a
//     DNS-rebinding page cannot talk to it under another name.
//   - Every state change is a POST carrying a CSRF token (an HMAC of the
//     console token, in a hidden field) and, when the browser sends them,
//     an Origin of this console and a same-origin Sec-Fetch-Site.
//   - Every response carries a strict Content-Security-Policy (no inline
//     script or style, script-src 'self'), X-Frame-Options: DENY,
//     nosniff, a same-origin referrer policy and no caching.
//   - Pages are html/template: session labels, party and segment names
//     (data another party chose) are escaped wherever they appear.
//
// # Why server-rendered HTML
//
// Pages are rendered by html/template, which escapes by context, and work
// without JavaScript: every action is a form, every figure is text and
// SVG drawn on the server. One small script (assets/static/console.js,
// no library, no build step) only enhances: it updates the progress of a
// run every second and starts printing. A single-page client would need a
// JSON API of its own, a second place where released figures are shaped,
// and a toolchain to build it; the console has neither. Assets are
// embedded with go:embed: nothing is fetched from the network at run
// time.
//
// # Figures
//
// Counts are worded by partner/wording, as the CLI words them: the
// overlap reads "1,234", a suppressed count "< 50", never a number. The
// overlap diagram draws the two sets the party may know the sizes of
// (both uploads' record counts, which the session reports to both
// parties) as circles with areas in proportion, overlapping by the
// released overlap; a suppressed overlap is drawn as two separate circles
// labelled "< k".
//
// # Results, read once
//
// A computed session's results never change (the transcript commits to
// them), but a media partner's hold one activation record per matched
// row, hundreds of millions at the sizes the product targets. So they
// cross the network once (resultsFigures): the first page that shows or
// compares a session downloads them, bounded by this party's upload
// (api.ResultsSizeLimit), reads them one record at a time and puts them
// in the session's results.json exactly as a run of partner/flow writes
// it (the bytes the clean room sent, then a newline), where a run of this
// console or `blindjoin match --out` may have put them already. The
// transcript check then reads that file, on every view, as `blindjoin
// audit verify --results` does. The figures kept are those of a file
// that opens the transcript's commitment; a results.json that does not
// read, or does not open it, is not replaced (it is this party's file):
// the check says so and the figures come from the clean room, streamed.
//
// Only the small figures (overlap, per-key rounds, match rate, segment
// counts, noise, computed time) stay in memory, in a least-recently-used
// cache of 64 sessions: a page touches at most 13 (the current one and
// the comparison's 12), so a few pairs' pages stay in memory, and the
// console's memory does not grow with the sessions it has shown. A
// session evicted is read again from its results.json, not downloaded.
package console
