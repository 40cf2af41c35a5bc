package httpapi

import (
	"math"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/blindjoin/blindjoin/cleanroom/ratelimit"
	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// limited runs next only if the party's bucket in l has a token; otherwise
// it answers 429 with Retry-After in whole seconds, rounded up.
func (h *handler) limited(l *ratelimit.Limiter, next partyHandler) partyHandler {
	return func(c *gin.Context, p session.Principal) {
		if ok, wait := l.Allow(p.Party); !ok {
			c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			fail(c, session.ErrRateLimited)
			return
		}
		next(c, p)
	}
}
