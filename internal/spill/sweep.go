package spill

import (
	"os"
	"path/filepath"
	"sync"
	"time"
)

// sweepEvery is how often, at most, Create and MakeDir sweep one scratch
// directory of one prefix's directories in one process. Sweeping costs a
// listing of the directory and a lock attempt per spill in it, which next
// to the files a spill makes is little; the interval keeps a process that makes many spills from
// listing a crowded temporary directory each time, while a long-lived
// one (blindjoind serve) still clears, within minutes of its next spill,
// the spills of a process beside it that died after it started.
const sweepEvery = 10 * time.Minute

// swept is a directory swept of the directories of one prefix.
type swept struct{ parent, prefix string }

// lastSweep is when this process last swept each scratch directory of
// each prefix.
var lastSweep struct {
	sync.Mutex
	at map[swept]time.Time
}

// sweepIfDue sweeps parent of prefix's directories unless this process
// did within sweepEvery. What the sweep could not do is not the failure
// of the directory being made: it does not depend on it, and the
// binaries report it (Sweep at start).
func sweepIfDue(parent, prefix string) {
	if parent == "" {
		parent = os.TempDir()
	}
	key := swept{filepath.Clean(parent), prefix}
	now := time.Now()
	lastSweep.Lock()
	due := now.Sub(lastSweep.at[key]) >= sweepEvery
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
			lastSweep.at = make(map[swept]time.Time)
		}
		lastSweep.at[key] = now
	}
	lastSweep.Unlock()
	if due {
		sweep(key.parent, prefix)
	}
}

// Sweep removes the spill directories (blindjoin-spill-*) under parent
// (os.TempDir() if empty) whose process has died: SweepPrefix for
// Create's directories.
func Sweep(parent string) (removed int, err error) {
	return SweepPrefix(parent, dirPrefix)
}

// SweepPrefix removes the directories named prefix* under parent
// (os.TempDir() if empty) whose process has died: those whose lock file
// it can lock (MakeDir and Create lock theirs for the life of their
// process), and those without a lock file untouched for unlockedAge. It
// looks only at directories owned by this process's user, follows no
// symbolic link, and leaves every other entry alone. It returns how many
// it removed, and what it could not judge or remove, naming the
// directory (never what is in it).
func SweepPrefix(parent, prefix string) (removed int, err error) {
	if err := checkPrefix(prefix); err != nil {
		return 0, err
	}
	if parent == "" {
		parent = os.TempDir()
	}
	return sweep(parent, prefix)
}
