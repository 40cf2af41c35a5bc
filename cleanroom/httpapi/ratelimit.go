package httpapi

import (
	"math"
	"net"
	"net/netip"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/ratelimit"
	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// limited runs next only if the party's bucket in l has a token; otherwise
// it answers 429 with Retry-After.
func (h *handler) limited(l *ratelimit.Limiter, next partyHandler) partyHandler {
	return func(c *gin.Context, p session.Principal) {
		if allow(c, l, p.Party) {
			next(c, p)
		}
	}
}

// allow takes a token from key's bucket in l, or answers 429 with
// Retry-After in whole seconds, rounded up, and returns false.
func allow(c *gin.Context, l *ratelimit.Limiter, key string) bool {
	if ok, wait := l.Allow(key); !ok {
		c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		fail(c, session.ErrRateLimited)
		return false
	}
	return true
}

// clientKey is the rate-limit key of an unauthenticated request: the
// address of the peer, never a header the client chooses (X-Forwarded-For
// could name a fresh address on every request). An IPv6 client usually
// holds a whole /64, so the key is that prefix. Behind a reverse proxy
// every client shares the proxy's key.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		prefix, _ := ip.Prefix(64)
		return prefix.String()
	}
	return ip.String()
}
