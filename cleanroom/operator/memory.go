package operator

import (
	"os"
	"runtime/debug"

	"github.com/blindjoin/blindjoin/cleanroom/session"
)

// The process's memory budget for session work (Config.MemoryBudget).
const (
	// DefaultMemoryBudget is what a clean-room process holds for the
	// sessions' bulk steps when the operator says nothing.
	DefaultMemoryBudget = 512 << 20
	// MinMemoryBudget is two steps of the least a step can work in.
	MinMemoryBudget = 2 * session.MinMemoryBudget
)

// stepBudget is the budget of one bulk step of a session (the duplicate
// check, a relay, the join: session.Config.MemoryBudget). Steps come in
// pairs: the two parties' sets complete, and their duplicate checks run,
// at the same moment, and both relays are due at once; half the process's
// budget each lets a pair run side by side.
func stepBudget(process int64) int64 { return process / 2 }

// LimitMemory sets the Go runtime's soft memory limit (runtime/debug's
// SetMemoryLimit) of this process to fifteen sixteenths of budget (0:
// DefaultMemoryBudget, as in Config), the
// rest being the binary and what the runtime does not count, unless the
// environment sets GOMEMLIMIT, which then wins. Without a limit the
// collector lets the heap grow to twice what is live, so a step sized to
// half the budget could take all of it, and the peaks of two steps could
// double it; with the limit the collector works harder instead, near the
// budget only. It is for the binaries: a limit is the whole process's,
// which a test or a program embedding a clean room must not have set for
// it.
func LimitMemory(budget int64) {
	if budget <= 0 {
		budget = DefaultMemoryBudget
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(budget - budget/16)
	}
}
