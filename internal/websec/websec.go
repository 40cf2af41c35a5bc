// Package websec is the browser-facing hardening that both web consoles
// (the clean room's at /console/ and the party's local one) apply to every
// answer and every form post: one copy, so that the two cannot drift
// apart. It imports only the standard library: cleanroom and partner may
// both use it.
package websec

import "net/http"

// ContentSecurityPolicy allows a console's own scripts, styles and images,
// fetches and forms to its own origin only, no inline script, no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// SetHeaders sets the security headers of a console's answer.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin") // "no-referrer" would make the browser send "Origin: null" on our own forms
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// SameOrigin reports whether a state-changing request may come from the
// console's own page: its Origin, when the browser sends one, is this
// host's, and its Sec-Fetch-Site, when sent, is same-origin. A browser
// always sends one of them on a cross-site form post, so a forged post
// fails; a client that sends neither (not a browser) is not a CSRF
// vector and must still present what the console asks for (a login
// cookie, a CSRF field).
func SameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host && o != "https://"+r.Host {
		return false
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin"
}
