package spill

import (
	"os"
	"path/filepath"
	"sync"
	"time"
)

// sweepEvery is how often, at most, Create sweeps one scratch directory
// in one process. Sweeping costs a listing of the directory and a lock
// attempt per spill in it, which next to the files a spill makes is
// little; the interval keeps a process that makes many spills from
// listing a crowded temporary directory each time, while a long-lived
// one (blindjoind serve) still clears, within minutes of its next spill,
// the spills of a process beside it that died after it started.
const sweepEvery = 10 * time.Minute

// lastSweep is when this process last swept each scratch directory.
var lastSweep struct {
	sync.Mutex
	at map[string]time.Time
}

// sweepIfDue sweeps parent unless this process did within sweepEvery.
// What the sweep could not do is not Create's failure: the spill it makes
// does not depend on it, and the binaries report it (Sweep at start).
func sweepIfDue(parent string) {
	if parent == "" {
		parent = os.TempDir()
	}
	parent = filepath.Clean(parent)
	now := time.Now()
	lastSweep.Lock()
	due := now.Sub(lastSweep.at[parent]) >= sweepEvery
	if due {
		// Entries that are due anyway go, so that a process making
		// spills in many directories (a party run's own scratch
		// directory each) does not keep them all.
		for p, at := range lastSweep.at {
			if now.Sub(at) >= sweepEvery {
				delete(lastSweep.at, p)
			}
		}
		if lastSweep.at == nil {
			lastSweep.at = make(map[string]time.Time)
		}
		lastSweep.at[parent] = now
	}
	lastSweep.Unlock()
	if due {
		Sweep(parent)
	}
}
