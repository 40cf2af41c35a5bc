package websec

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		name, origin, site string
		want               bool
	}{
		{"no headers (not a browser)", "", "", true},
		{"own origin, http", "http://console.example:8080", "same-origin", true},
		{"own origin, https", "https://console.example:8080", "", true},
		{"other site", "https://evil.example", "cross-site", false},
		{"other site without Sec-Fetch-Site", "https://evil.example", "", false},
		{"opaque origin", "null", "", false},
		{"other port", "http://console.example:9090", "", false},
		{"scheme-less host", "console.example:8080", "", false},
		{"same site, other origin", "", "same-site", false},
		{"user-typed navigation", "", "none", false},
		{"host as a prefix", "http://console.example:8080.evil.example", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://console.example:8080/run", nil)
			if c.origin != "" {
				r.Header.Set("Origin", c.origin)
			}
			if c.site != "" {
				r.Header.Set("Sec-Fetch-Site", c.site)
			}
			if got := SameOrigin(r); got != c.want {
				t.Errorf("SameOrigin = %t, want %t", got, c.want)
			}
		})
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	SetHeaders(h)
	for name, want := range map[string]string{
		"Content-Security-Policy": ContentSecurityPolicy, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
		"Cache-Control": "no-store", "Referrer-Policy": "same-origin", "Cross-Origin-Opener-Policy": "same-origin",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
