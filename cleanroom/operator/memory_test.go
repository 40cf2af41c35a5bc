package operator

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// TestLimitMemory: the budget becomes the runtime's soft limit, less a
// sixteenth for what the runtime does not count, unless GOMEMLIMIT says
// otherwise. The test restores the process's limit.
func TestLimitMemory(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	env, had := os.LookupEnv("GOMEMLIMIT")
	defer func() {
		if had {
			os.Setenv("GOMEMLIMIT", env)
		} else {
			os.Unsetenv("GOMEMLIMIT")
		}
	}()

	os.Unsetenv("GOMEMLIMIT")
	debug.SetMemoryLimit(math.MaxInt64)
	LimitMemory(512 << 20)
	if got := debug.SetMemoryLimit(-1); got != 480<<20 {
		t.Errorf("limit %d, want 480 MiB", got)
	}

	// No budget is the default one, never a limit of zero (which would
	// have the collector run all the time).
	LimitMemory(0)
	if got := debug.SetMemoryLimit(-1); got != DefaultMemoryBudget-DefaultMemoryBudget/16 {
		t.Errorf("no budget: limit %d", got)
	}

	os.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	LimitMemory(512 << 20)
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("GOMEMLIMIT set, yet the limit became %d", got)
	}
}

func TestStepBudget(t *testing.T) {
	if got := stepBudget(DefaultMemoryBudget); got != 256<<20 {
		t.Errorf("a step of the default budget: %d", got)
	}
	if stepBudget(MinMemoryBudget) < 64<<20 {
		t.Error("a step of the least budget is below what a step needs")
	}
}
