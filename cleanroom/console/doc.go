// Package console is the clean room's web console, served by `blindjoind
// serve` under /console/: the operator's dashboard and the auditor's
// transcript verifier.
//
// # Operator
//
// The operator logs in with an operator credential, created by
// `blindjoind operator add --name NAME` (AddOperator), printed once and
// stored only as its SHA-256 in DataDir/console-operators.json (0600), as
// API keys are stored. It is not a party key: it reaches no /v1 route, and
// a party key does not open the console. Logged in, the operator registers
// and revokes parties (the new API key is shown once), and sees every
// session with its state, upload sizes, timings and end reason, the
// differential-privacy budget spent per advertiser-partner pair (computed
// by cleanroom/dp, as Create charges it) and the service's health. Nothing
// identifier-like is shown: no part digest, no element, no results beyond
// the states and sizes the operator already knows (DESIGN.md section 1).
//
// # Auditor
//
// /console/audit is a page and a script, and the trust is in the script,
// not in the server: the auditor fetches a session's transcript with its
// own API key (the script exchanges it for a token at /v1/auth/token and
// reads /v1/sessions/{id}/transcript; the key stays in the page), or loads
// a transcript file, and the browser verifies it against the operator's
// published transcript key with WebCrypto: SHA-256 over the canonical
// events exactly as protocol/transcript chains them, then Ed25519 over the
// signed head. A tampered event, a reordered one, a cut chain or a wrong
// key is detected and named. The page pre-fills the key this server signs
// with; an auditor compares it with the key the operator published
// elsewhere (`blindjoind keys show`), or pastes that one. WebCrypto runs
// only in a secure context: over HTTPS, or on localhost.
//
// # Design
//
// Server-rendered html/template pages that work without JavaScript, one
// stylesheet, and one script per page that needs one (the verifier cannot
// run anywhere but in the browser). Assets are embedded with go:embed; no
// CDN, no build step. Every response carries a strict
// Content-Security-Policy (script-src 'self', no inline script or style),
// X-Frame-Options: DENY and no-store; the login cookie is HttpOnly,
// SameSite=Strict and Secure over TLS; every POST checks a per-login CSRF
// token and, when the browser sends them, Origin and Sec-Fetch-Site. Party
// names are escaped by the templates like any other data.
//
// The partner side has a console of its own (partner/console): the
// import rules keep partner and cleanroom apart, so the few lines of
// security headers exist in both.
package console
